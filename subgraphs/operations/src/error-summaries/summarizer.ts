import { createHash } from 'node:crypto';
import { parseTracebacks, userFrame, type Frame, type TracebackBlock } from './traceback.js';

/** Well-known causes that come with a fix hint. */
export type FixKind =
  | 'MISSING_MODULE'
  | 'OUT_OF_MEMORY'
  | 'TIMEOUT'
  | 'CONNECTION_REFUSED'
  | 'PERMISSION_DENIED'
  | 'INVALID_PARAMETERS'
  | 'CANCELLED';

export interface FailureLog {
  /** The log line's sequence number (evidence refers to it). */
  seq: string;
  level: number;
  message: string;
  taskRunId: string | null;
}

/** What a summary is written from: the run's final state, its logs and its task runs. */
export interface FailureInput {
  flowRunName: string;
  stateType: 'FAILED' | 'CRASHED';
  stateName: string;
  stateMessage: string | null;
  /** In the order they were logged. */
  logs: FailureLog[];
  /** Task runs of the flow run (to name the failing task). */
  taskRuns: { id: string; name: string; stateType: string }[];
}

export interface RootCause {
  exceptionType: string | null;
  message: string | null;
  taskName: string | null;
  taskRunId: string | null;
  file: string | null;
  line: number | null;
  function: string | null;
  /** Exception types of the chain, original first. */
  chain: string[];
  exitCode: number | null;
}

export interface Evidence {
  source: 'LOG' | 'STATE_MESSAGE' | 'EXIT_CODE';
  /** The log line, for LOG evidence. */
  logSeq: string | null;
  excerpt: string;
}

export interface SummaryDraft {
  explanation: string;
  rootCause: RootCause;
  fixKind: FixKind | null;
  fixHint: string | null;
  evidence: Evidence[];
  /** Groups failures of the same cause (see `signatureOf`). */
  signature: string;
}

const ERROR_LEVEL = 40;
const EXCERPT = 300;

const clip = (s: string, n = EXCERPT) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** `Type: message` or `Type('message')` inside a state message or a one-line log. */
const INLINE_EXCEPTION =
  /(?:^|[\s:(])((?:[a-z_][\w]*\.)*[A-Z][\w]*(?:Error|Exception|Exit|Interrupt|Timeout|Mismatch|Cancelled|Killed|Fault)|KeyboardInterrupt|StopIteration)(?:\((['"])([\s\S]*?)\2\)|:\s+(.+))/;

/** Infrastructure exit codes as workers and Kubernetes report them. */
const EXIT_CODE = [
  /exited with (?:non-zero )?(?:status|exit) code:?\s*(-?\d+)/i,
  /status code:?\s*(-?\d+)\b/i,
  /exit(?:ed)?(?: with)? code:?\s*(-?\d+)/i,
  /exit status:?\s*(-?\d+)/i,
];

function exitCodeOf(text: string): number | null {
  for (const re of EXIT_CODE) {
    const m = re.exec(text);
    if (m) return Number(m[1]);
  }
  if (/\bOOMKilled\b/.test(text)) return 137;
  return null;
}

function inlineException(text: string): { type: string; message: string | null } | null {
  const m = INLINE_EXCEPTION.exec(text);
  if (!m) return null;
  const message = (m[3] ?? m[4] ?? '').trim();
  return { type: m[1]!, message: message ? message.split('\n')[0]!.trim() : null };
}

const TASK_NAME = /Task run '([^']+)'/;

/** The user frame of a chain: the original exception's, else the nearest later one's. */
function chainFrame(chain: TracebackBlock[]): Frame | null {
  for (const block of chain) {
    const f = userFrame(block);
    if (f) return f;
  }
  return null;
}

interface Cause {
  kind: FixKind;
  hint: string;
}

const has = (text: string, re: RegExp) => re.test(text);

/** The well-known cause behind a failure, judged from exception types, messages and exit code. */
export function knownCause(
  types: string[],
  text: string,
  exitCode: number | null,
  stateType: string,
): Cause | null {
  const short = types.map((t) => t.split('.').pop()!);
  const module =
    /No module named ['"]?([\w.]+)['"]?/.exec(text)?.[1] ??
    /cannot import name ['"]?(\w+)['"]? from ['"]?([\w.]+)/.exec(text)?.[2] ??
    null;
  if (short.some((t) => t === 'ModuleNotFoundError' || t === 'ImportError') || module) {
    const top = module?.split('.')[0];
    return {
      kind: 'MISSING_MODULE',
      hint: top
        ? `Install the Python package that provides "${top}" in the run's environment (add it to requirements.txt, the image, or the deployment's pip_packages / EXTRA_PIP_PACKAGES job variable) and check the name is spelt right.`
        : "Install the missing Python package in the run's environment (requirements.txt, the image, or the deployment's pip_packages job variable) and check the import is spelt right.",
    };
  }
  if (
    exitCode === 137 ||
    exitCode === -9 ||
    short.includes('MemoryError') ||
    has(text, /\bOOMKilled\b|out of memory|Cannot allocate memory|memory limit/i)
  ) {
    return {
      kind: 'OUT_OF_MEMORY',
      hint: "The process ran out of memory (killed with SIGKILL, exit code 137): raise the memory limit in the work pool's or deployment's job variables, or process the data in smaller chunks.",
    };
  }
  if (
    short.some((t) => /Timeout|TimedOut/.test(t)) ||
    has(text, /timed? ?out|exceeded (?:the )?timeout|deadline exceeded/i)
  ) {
    return {
      kind: 'TIMEOUT',
      hint: "An operation took longer than allowed: check that the service being called is healthy and reachable, or raise the timeout (timeout_seconds on the flow or task, or the client library's timeout).",
    };
  }
  if (
    short.some((t) => t === 'ConnectionRefusedError' || t === 'ConnectError') ||
    has(
      text,
      /Connection refused|ECONNREFUSED|could not connect to server|Name or service not known|nodename nor servname|Temporary failure in name resolution|Failed to establish a new connection/i,
    )
  ) {
    return {
      kind: 'CONNECTION_REFUSED',
      hint: "A service the flow connects to could not be reached: check its host and port in the flow's configuration or blocks, that it is running, and that the run's network (VPC, firewall, Docker network) can reach it.",
    };
  }
  if (
    short.includes('PermissionError') ||
    exitCode === 126 ||
    has(
      text,
      /Permission denied|AccessDenied|Access Denied|403 Forbidden|not authorized to perform/i,
    )
  ) {
    return {
      kind: 'PERMISSION_DENIED',
      hint: 'The run lacked a permission: check the file-system permissions of the path, or the credentials and role (IAM policy, service account) the run uses for the resource.',
    };
  }
  if (
    short.some((t) =>
      ['ParameterTypeError', 'SignatureMismatchError', 'ParameterBindError'].includes(t),
    ) ||
    (short.includes('ValidationError') && has(text, /parameter/i)) ||
    has(
      text,
      /Validation of flow parameters failed|parameters? (?:are|is) invalid|missing \d+ required (?:positional )?argument/i,
    )
  ) {
    return {
      kind: 'INVALID_PARAMETERS',
      hint: "The run's parameters do not match the flow's signature: compare the parameters of the run or deployment with the flow function's arguments and types.",
    };
  }
  if (
    exitCode === 143 ||
    exitCode === -15 ||
    exitCode === 130 ||
    short.some((t) => ['KeyboardInterrupt', 'TerminationSignal', 'CancelledError'].includes(t)) ||
    has(
      text,
      /SIGTERM|was cancelled|cancelled by the runtime|terminated by signal|received a termination signal/i,
    )
  ) {
    return {
      kind: 'CANCELLED',
      hint:
        stateType === 'CRASHED'
          ? 'The run was terminated from outside (SIGTERM/SIGINT): check whether it was cancelled, its node or container was shut down or rescheduled, or a timeout of the infrastructure stopped it, and run it again.'
          : 'The run was cancelled or interrupted: check who or what cancelled it and run it again.',
    };
  }
  return null;
}

/**
 * A failure's message with what differs between occurrences of the same cause (ids, numbers,
 * paths, timestamps, addresses) replaced by placeholders.
 */
export function normaliseMessage(message: string): string {
  return (
    message
      .replace(
        /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g,
        '<time>',
      )
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
      .replace(/(?:[A-Za-z]:\\|~?\/)[\w.\-/\\]+/g, '<path>')
      .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
      .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>')
      // Numbers on their own or ending an identifier (`customer_17`, `row-4`), not `utf8` or `s3`.
      .replace(/(?<![A-Za-z\d])\d+(\.\d+)*(?![A-Za-z\d])/g, '<n>')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 300)
  );
}

/** Exception type + user frame (file and function, not the line: edits move it) + message. */
export function signatureOf(root: RootCause, stateName: string): string {
  const frame = root.file ? `${root.file.split(/[\\/]/).pop()}:${root.function ?? ''}` : '';
  const what = root.exceptionType
    ? `${root.exceptionType}|${normaliseMessage(root.message ?? '')}`
    : root.exitCode !== null
      ? `exit:${root.exitCode}`
      : `state:${stateName}|${normaliseMessage(root.message ?? '')}`;
  return createHash('sha256').update(`${what}|${frame}`).digest('hex').slice(0, 32);
}

/**
 * The built-in summarizer: deterministic and offline. Reads the chained tracebacks of the
 * run's error logs, the final state message and infrastructure exit codes.
 */
export function summarize(input: FailureInput): SummaryDraft {
  const evidence: Evidence[] = [];
  const errorLogs = input.logs.filter((l) => l.level >= ERROR_LEVEL);
  const candidates = errorLogs.length ? errorLogs : input.logs;
  const taskName = (id: string | null) =>
    (id && input.taskRuns.find((t) => t.id === id)?.name) || null;

  // 1. The first traceback naming an exception (the original failure; the flow re-raises it).
  let chain: TracebackBlock[] | null = null;
  let chainLog: FailureLog | null = null;
  for (const l of [...candidates, ...(candidates === input.logs ? [] : input.logs)]) {
    for (const c of parseTracebacks(l.message)) {
      if (!chain || (!chain.some((b) => b.exceptionType) && c.some((b) => b.exceptionType))) {
        chain = c;
        chainLog = l;
      }
    }
    if (chain?.some((b) => b.exceptionType)) break;
  }

  const root: RootCause = {
    exceptionType: null,
    message: null,
    taskName: null,
    taskRunId: null,
    file: null,
    line: null,
    function: null,
    chain: [],
    exitCode: null,
  };
  if (chain && chainLog) {
    const original = chain.find((b) => b.exceptionType) ?? chain[0]!;
    root.exceptionType = original.exceptionType;
    root.message = original.message;
    root.chain = chain.map((b) => b.exceptionType ?? '?');
    const frame = chainFrame(chain);
    if (frame)
      Object.assign(root, { file: frame.file, line: frame.line, function: frame.function });
    root.taskRunId = chainLog.taskRunId;
    root.taskName = taskName(chainLog.taskRunId) ?? TASK_NAME.exec(chainLog.message)?.[1] ?? null;
    evidence.push({ source: 'LOG', logSeq: chainLog.seq, excerpt: clip(chainLog.message.trim()) });
  }

  // 2. The state message (the only evidence when logs are missing).
  const stateMessage = input.stateMessage?.trim() || null;
  if (stateMessage) {
    evidence.push({ source: 'STATE_MESSAGE', logSeq: null, excerpt: clip(stateMessage) });
    if (!root.exceptionType) {
      const inline = inlineException(stateMessage);
      if (inline) {
        root.exceptionType = inline.type;
        root.message = inline.message;
        root.chain = [inline.type];
      }
    }
    root.taskName ??= TASK_NAME.exec(stateMessage)?.[1] ?? null;
  }

  // 3. One-line error logs (no traceback): "… encountered an exception: Type: message".
  if (!root.exceptionType) {
    for (const l of errorLogs) {
      const inline = inlineException(l.message);
      if (!inline) continue;
      root.exceptionType = inline.type;
      root.message = inline.message;
      root.chain = [inline.type];
      root.taskRunId = l.taskRunId;
      root.taskName ??= taskName(l.taskRunId) ?? TASK_NAME.exec(l.message)?.[1] ?? null;
      evidence.push({ source: 'LOG', logSeq: l.seq, excerpt: clip(l.message.trim()) });
      break;
    }
  }

  // 4. Infrastructure exit codes (crashes), from the state message first, then the logs.
  const exitSources: { text: string; log: FailureLog | null }[] = [
    ...(stateMessage ? [{ text: stateMessage, log: null }] : []),
    ...errorLogs.map((l) => ({ text: l.message, log: l })),
    ...input.logs.filter((l) => l.level < ERROR_LEVEL).map((l) => ({ text: l.message, log: l })),
  ];
  for (const s of exitSources) {
    if (!/exit|OOMKilled|status code/i.test(s.text)) continue;
    const code = exitCodeOf(s.text);
    if (code === null || code === 0) continue;
    root.exitCode = code;
    evidence.push({
      source: 'EXIT_CODE',
      logSeq: s.log?.seq ?? null,
      excerpt: clip(s.text.trim()),
    });
    break;
  }

  if (!root.taskRunId) {
    const failed = input.taskRuns.find(
      (t) =>
        (t.stateType === 'FAILED' || t.stateType === 'CRASHED') &&
        (!root.taskName || t.name === root.taskName),
    );
    if (failed) {
      root.taskRunId = failed.id;
      root.taskName ??= failed.name;
    }
  }

  const allText = [
    ...(chain?.map((b) => `${b.exceptionType ?? ''}: ${b.message ?? ''}`) ?? []),
    root.message ?? '',
    stateMessage ?? '',
    ...evidence.filter((e) => e.source === 'EXIT_CODE').map((e) => e.excerpt),
  ].join('\n');
  const cause = knownCause(
    root.chain.filter((t) => t !== '?'),
    allText,
    root.exitCode,
    input.stateType,
  );

  return {
    explanation: explain(input, root, chain, cause),
    rootCause: root,
    fixKind: cause?.kind ?? null,
    fixHint: cause?.hint ?? null,
    evidence,
    signature: signatureOf(root, input.stateName),
  };
}

const SIGNALS: Record<number, string> = {
  137: 'SIGKILL, usually the out-of-memory killer',
  [-9]: 'SIGKILL, usually the out-of-memory killer',
  143: 'SIGTERM',
  [-15]: 'SIGTERM',
  130: 'SIGINT',
  139: 'SIGSEGV, a segmentation fault',
  [-11]: 'SIGSEGV, a segmentation fault',
  126: 'the command could not be executed',
  127: 'the command was not found',
};

function explain(
  input: FailureInput,
  root: RootCause,
  chain: TracebackBlock[] | null,
  cause: Cause | null,
): string {
  const verb = input.stateType === 'CRASHED' ? 'crashed' : 'failed';
  const parts: string[] = [];
  const where = root.taskName ? ` in task "${root.taskName}"` : '';
  if (root.exceptionType) {
    const msg = root.message ? `: ${clip(root.message, 200)}` : '';
    const at = root.file ? ` at ${root.file}, line ${root.line}, in ${root.function}()` : '';
    parts.push(
      `Flow run "${input.flowRunName}" ${verb}${where} because ${root.exceptionType} was raised${at}${msg}.`,
    );
    const last = chain && chain.length > 1 ? chain[chain.length - 1]! : null;
    if (last?.exceptionType && last.exceptionType !== root.exceptionType) {
      parts.push(
        last.link === 'DIRECT_CAUSE'
          ? `It was re-raised as ${last.exceptionType}${last.message ? ` (${clip(last.message, 120)})` : ''}.`
          : `While handling it, ${last.exceptionType} was raised${last.message ? ` (${clip(last.message, 120)})` : ''}.`,
      );
    }
  } else if (chain) {
    parts.push(
      `Flow run "${input.flowRunName}" ${verb}${where}; its traceback was cut off before the exception${root.file ? `, last in ${root.file}, line ${root.line}, in ${root.function}()` : ''}.`,
    );
  } else if (root.exitCode === null) {
    parts.push(
      `Flow run "${input.flowRunName}" ${verb}${where}${input.stateMessage ? ` with the message "${clip(input.stateMessage.trim(), 200)}"` : ''}; no traceback was logged.`,
    );
  } else {
    parts.push(`Flow run "${input.flowRunName}" ${verb}${where}.`);
  }
  if (root.exitCode !== null) {
    const signal = SIGNALS[root.exitCode];
    parts.push(
      `Its infrastructure exited with code ${root.exitCode}${signal ? ` (${signal})` : ''}.`,
    );
  }
  if (cause) parts.push(cause.hint);
  return parts.join(' ');
}
