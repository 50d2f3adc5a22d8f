#!/usr/bin/env node
// Runs the TypeScript CLI in this process through tsx's loader (no build step, no second
// process: signals reach the server itself).
import Module, { isBuiltin } from 'node:module';
import { register } from 'tsx/esm/api';

register();

// tsx resolves every require() call, built-in modules too, where Node answers them at once:
// Apollo Server requires 'crypto' on every request (@apollo/utils.createhash), 2 % of the CPU of
// a small request. Built-in ids are answered here first, as Node's own resolver answers them.
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return typeof request === 'string' && isBuiltin(request)
    ? request
    : resolve.call(this, request, ...rest);
};

await import('../scripts/cli.ts');
