import { badInput } from './errors.js';

const HANDLE = /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

/** Lower-case `[a-z0-9-]{2,40}`, not starting or ending with a hyphen (API.md). */
export function validateHandle(value: string, field = 'handle'): string {
  if (!HANDLE.test(value)) {
    throw badInput(
      field,
      'A handle is 2 to 40 characters of a-z, 0-9 and "-", not starting or ending with "-"',
    );
  }
  return value;
}

export function normalizeEmail(value: string, field = 'email'): string {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput(field, 'Not a valid email address');
  return email;
}

/** Accepts IANA zone names only ("Europe/Paris", "UTC"), as the runtime's tz database knows them. */
export function validateTimezone(value: string, field = 'timezone'): string {
  let ok = false;
  if (/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$/.test(value)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      ok = true;
    } catch {
      ok = false;
    }
  }
  if (!ok)
    throw badInput(
      field,
      `Unknown time zone "${value.slice(0, 64)}" (use an IANA name such as Europe/Paris)`,
    );
  return value;
}

export function validateName(value: string, field = 'name', max = 100): string {
  const v = value.trim();
  if (!v.length || v.length > max) throw badInput(field, `Must be 1 to ${max} characters`);
  if (/[\t\n\r]/.test(v)) throw badInput(field, 'Must be one line (no tabs or line breaks)');
  return v;
}

export function validateOptionalText(
  value: string | null | undefined,
  field: string,
  max: number,
): string | null {
  if (value === undefined || value === null) return null;
  if (value.length > max) throw badInput(field, `Must be at most ${max} characters`);
  return value;
}

export function validateUrl(value: string, field: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    if (value.length > 2048) throw new Error('length');
    return value;
  } catch {
    throw badInput(field, 'Must be an http(s) URL of at most 2048 characters');
  }
}

/**
 * A password is at least 10 characters, mixes at least three of lower case, upper case, digits
 * and symbols, and does not contain the email's local part.
 */
export function validatePassword(password: string, email?: string, field = 'password'): string {
  if (password.length < 10 || password.length > 256) {
    throw badInput(field, 'Password must be 10 to 256 characters');
  }
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) =>
    r.test(password),
  ).length;
  if (classes < 3) {
    throw badInput(
      field,
      'Password must mix at least three of: lower case, upper case, digits, symbols',
    );
  }
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && password.toLowerCase().includes(local)) {
    throw badInput(field, 'Password must not contain your email address');
  }
  return password;
}

export function validateFuture(value: Date | null | undefined, field: string): Date | null {
  if (!value) return null;
  if (value.getTime() <= Date.now()) throw badInput(field, 'Must be in the future');
  return value;
}
