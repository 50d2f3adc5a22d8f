import Module, { isBuiltin } from 'node:module';

type Resolve = (request: unknown, ...rest: unknown[]) => string;

/**
 * Answers `require()` of built-in module ids before a loader's resolver sees them. Under tsx
 * (`npm start`, `--import tsx`) every require() call goes through tsx's resolver, built-ins too,
 * where Node answers them at once: Apollo Server requires 'crypto' on every request
 * (@apollo/utils.createhash), about 2 % of the CPU of a small request. Called once, first thing,
 * by the CLI (scripts/cli.ts), after the loader's hooks are in place.
 */
export function answerBuiltinIds(): void {
  const m = Module as unknown as { _resolveFilename: Resolve & { builtinsFirst?: true } };
  if (m._resolveFilename.builtinsFirst) return;
  const resolve = m._resolveFilename;
  const first: Resolve & { builtinsFirst?: true } = function (
    this: unknown,
    request: unknown,
    ...rest: unknown[]
  ) {
    return typeof request === 'string' && isBuiltin(request)
      ? request
      : resolve.call(this, request, ...rest);
  };
  first.builtinsFirst = true;
  m._resolveFilename = first;
}
