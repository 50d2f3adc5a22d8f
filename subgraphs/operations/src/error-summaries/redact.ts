/**
 * What must not leave the process with a failure's text: the workspace's secret block values,
 * anything shaped like an API key or bearer token, and email addresses.
 */

const R = '[REDACTED]';
/** Token shapes and how each is replaced (labels and separators are kept, the value goes). */
const TOKEN_SHAPES: [RegExp, (...m: string[]) => string][] = [
  // Flowplane and Prefect API keys (fp_…, pnu_…, pnb_…), OpenAI-style keys.
  [/\b(?:fp|pnu|pnb|sk|rk|pk)[-_][A-Za-z0-9_-]{12,}/g, () => R],
  // AWS access key ids.
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, () => R],
  // `password=…`, `api_key: …`, `token=…` and the like.
  [
    /\b(aws_secret_access_key|secret[_-]?key|api[_-]?key|password|passwd|pwd|pw|token|secret)(["']?\s*[:=]\s*["']?)([^\s"',;]{4,})/gi,
    (_m, label, sep) => `${label}${sep}${R}`,
  ],
  // GitHub, GitLab, Slack, Google tokens.
  [
    /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})\b/g,
    () => R,
  ],
  // Bearer / Basic credentials and JWTs.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, scheme) => `${scheme} ${R}`],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, () => R],
  // Passwords in URLs (scheme://user:password@host).
  [
    /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi,
    (_m, head, _pw, at) => `${head}${R}${at}`,
  ],
];
const EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g;

export const REDACTED = R;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces secrets in `text`; `secrets` are the literal values to remove (block secrets). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first: a secret containing another is removed whole.
  for (const s of [...new Set(secrets)]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length))
    out = out.replace(new RegExp(escape(s), 'g'), REDACTED);
  for (const [re, replace] of TOKEN_SHAPES) out = out.replace(re, replace);
  return out.replace(EMAIL, '[EMAIL]');
}

/** Every string value inside a secret block field (nested objects and lists included). */
export function secretStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' && String(value).length >= 6) out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) secretStrings(v, out);
  else if (value && typeof value === 'object')
    for (const v of Object.values(value)) secretStrings(v, out);
  return out;
}
