#!/usr/bin/env node
// Runs the TypeScript CLI in this process through tsx's loader (no build step, no second
// process: signals reach the server itself).
import { register } from 'tsx/esm/api';

register();

await import('../scripts/cli.ts');
