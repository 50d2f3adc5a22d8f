/**
 * Python tracebacks as Prefect logs them: one or more blocks, chained by "During handling of the
 * above exception, another exception occurred:" or "The above exception was the direct cause of
 * the following exception:". Pure functions, no I/O.
 */

export interface Frame {
  file: string;
  line: number;
  function: string;
}

export interface TracebackBlock {
  frames: Frame[];
  /** Null when the log was cut before the exception line. */
  exceptionType: string | null;
  message: string | null;
  /** How this block relates to the one before it. */
  link: 'FIRST' | 'DURING_HANDLING' | 'DIRECT_CAUSE';
}

const HEADER = 'Traceback (most recent call last):';
const DURING = 'During handling of the above exception, another exception occurred:';
const CAUSE = 'The above exception was the direct cause of the following exception:';
const FRAME = /^\s*File "([^"]+)", line (\d+), in (.+?)\s*$/;
/** `module.sub.ExceptionName: message` or a bare `ExceptionName`. */
const EXCEPTION = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/;

/** Parses every traceback in `text` (blocks of one chain are returned in printed order). */
export function parseTracebacks(text: string): TracebackBlock[][] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const chains: TracebackBlock[][] = [];
  let chain: TracebackBlock[] | null = null;
  let link: TracebackBlock['link'] = 'FIRST';
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    const line = raw.trim();
    if (line === DURING || line === CAUSE) {
      link = line === DURING ? 'DURING_HANDLING' : 'DIRECT_CAUSE';
      i++;
      continue;
    }
    const at = raw.indexOf(HEADER);
    if (at < 0) {
      i++;
      continue;
    }
    if (link === 'FIRST' || !chain) {
      chain = [];
      chains.push(chain);
    }
    const block: TracebackBlock = { frames: [], exceptionType: null, message: null, link };
    link = 'FIRST';
    i++;
    // Frames: `File "…", line N, in f` followed by source lines (indented), "^^^^" markers.
    while (i < lines.length) {
      const l = lines[i]!;
      const m = FRAME.exec(l);
      if (m) {
        block.frames.push({ file: m[1]!, line: Number(m[2]), function: m[3]! });
        i++;
        continue;
      }
      if (/^\s+\S/.test(l) || /^\s*\.\.\.\s*\(/.test(l) || /^\s*\[Previous line repeated/.test(l)) {
        i++;
        continue;
      }
      break;
    }
    // The exception line (possibly followed by more message lines until a blank line).
    if (i < lines.length) {
      const l = lines[i]!.trim();
      const m = EXCEPTION.exec(l);
      if (m && l !== DURING && l !== CAUSE) {
        block.exceptionType = m[1]!;
        const rest: string[] = m[2] !== undefined ? [m[2]] : [];
        i++;
        while (i < lines.length) {
          const more = lines[i]!;
          const t = more.trim();
          if (!t || t === DURING || t === CAUSE || more.includes(HEADER)) break;
          if (rest.length >= 5) break;
          rest.push(t);
          i++;
        }
        block.message = rest.join('\n').trim() || null;
      }
    }
    chain.push(block);
    // A chain link must follow right after (blank lines aside); anything else ends the chain.
    let j = i;
    while (j < lines.length && !lines[j]!.trim()) j++;
    const next = lines[j]?.trim();
    if (next !== DURING && next !== CAUSE) link = 'FIRST';
  }
  return chains;
}

/** Library and interpreter code: not where a user would fix a failure. */
export function isLibraryFrame(f: Frame): boolean {
  const file = f.file.replace(/\\/g, '/');
  return (
    /\/(site|dist)-packages\//.test(file) ||
    /\/lib\/python\d+(\.\d+)?\/(?!site-packages)/.test(file) ||
    /\/(python\d+(\.\d+)?|Python\d+)\/lib\//i.test(file) ||
    file.startsWith('<') ||
    /\/(\.venv|venv|virtualenv)\/lib\//.test(file)
  );
}

/** The deepest user frame of a block (null when every frame is library code). */
export function userFrame(block: TracebackBlock): Frame | null {
  for (let i = block.frames.length - 1; i >= 0; i--) {
    const f = block.frames[i]!;
    if (!isLibraryFrame(f)) return f;
  }
  return null;
}
