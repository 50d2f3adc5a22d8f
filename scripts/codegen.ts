import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codegen } from '@graphql-codegen/core';
import * as addPlugin from '@graphql-codegen/add';
import * as typedDocumentNode from '@graphql-codegen/typed-document-node';
import * as typescriptOperations from '@graphql-codegen/typescript-operations';
import { buildSchema, lexicographicSortSchema, parse, printSchema } from 'graphql';
import { banner, CONFIG, PLUGINS, SCHEMA, TARGETS } from '../codegen.js';

type Plugin = Parameters<typeof codegen>[0]['pluginMap'][string];

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** `a/**\/*.graphql` → a regular expression over paths relative to the repository. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '(?:.*/)?';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

/** The operation documents globs of codegen.ts match, in a stable order. */
export function documentFiles(documents: readonly string[]): string[] {
  const patterns = documents.map(globToRegExp);
  const roots = [...new Set(documents.map((g) => g.split('/')[0]!))];
  return roots
    .flatMap((r) => walk(join(ROOT, r)))
    .map((f) => relative(ROOT, f))
    .filter((f) => patterns.some((p) => p.test(f)))
    .sort();
}

async function generate(target: (typeof TARGETS)[number]): Promise<string> {
  const files = documentFiles(target.documents);
  const output = await codegen({
    filename: target.output,
    // Sorted, as the codegen CLI does: output does not depend on the order of the SDL.
    schema: parse(
      printSchema(lexicographicSortSchema(buildSchema(readFileSync(join(ROOT, SCHEMA), 'utf8')))),
    ),
    documents: files.map((f) => ({
      location: f,
      document: parse(readFileSync(join(ROOT, f), 'utf8')),
    })),
    config: CONFIG,
    plugins: [{ add: { content: banner(target.documents) } }, ...PLUGINS.map((p) => ({ [p]: {} }))],
    // The plugins are typed against an older @graphql-codegen/plugin-helpers than core's.
    pluginMap: {
      add: addPlugin as Plugin,
      'typescript-operations': typescriptOperations as Plugin,
      'typed-document-node': typedDocumentNode as Plugin,
    },
  });
  return output;
}

/** `npm run codegen` writes; `npm run codegen:check` fails when a committed file differs. */
async function main(mode: string | undefined): Promise<void> {
  let stale = false;
  for (const target of TARGETS) {
    const text = await generate(target);
    const path = join(ROOT, target.output);
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      /* not generated yet */
    }
    if (mode === 'check') {
      if (current !== text) {
        console.error(`codegen: ${target.output} is out of date; run npm run codegen`);
        stale = true;
      } else console.log(`codegen: ${target.output} is up to date`);
      continue;
    }
    if (current !== text) writeFileSync(path, text);
    console.log(
      `codegen: wrote ${target.output} from ${documentFiles(target.documents).length} document(s)`,
    );
  }
  if (stale) process.exit(1);
}

main(process.argv[2]).catch((err) => {
  console.error(`codegen failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
