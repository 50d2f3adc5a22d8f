/**
 * `npm run layers`: fails on an import that breaks the layer order or closes a cycle.
 *
 * - Areas, lowest first: `lib/` ← `subgraphs/<name>/` ← `gateway/`, `rest/` ← `server/` ←
 *   `scripts/` and the root config files ← `tests/` ← `bench/` (it uses the test harness). A file imports only its own area
 *   or lower ones; no subgraph imports another, `gateway/` and `rest/` do not import each other.
 * - Inside a subgraph: its `src/index.ts` (`defineSubgraph({ layers, modules })`) lists the
 *   modules, each a folder whose `index.ts` is a manifest `defineModule({ name, layer })`. The
 *   layers are read from those sources (nothing here repeats them). A module imports the
 *   subgraph's base files (outside any module: `context.ts`, `common/`, …) and modules of a lower
 *   or its own layer; base files import only base files; nothing but the subgraph's index.ts
 *   imports a manifest. The modules are listed in layer order, and every module folder is listed.
 *   A subgraph whose index.ts does not call defineSubgraph yet is one unit (areas and cycles
 *   checked, nothing inside it); the script names it.
 * - No import cycle anywhere (type-only imports count: they are dependencies all the same).
 *
 * `--graph` prints each subgraph's modules with their layer and what they import.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const AREAS: Record<string, number> = {
  lib: 0,
  subgraphs: 1,
  gateway: 2,
  rest: 2,
  server: 3,
  scripts: 4,
  '.': 3.5,
  bench: 6,
  tests: 5,
  ui: 5,
};
const SKIP_DIRS = new Set(['node_modules', 'dist', 'generated', '.venv', 'data']);

interface SourceFile {
  path: string;
  /** Relative imports and module augmentations, resolved to files of the repository. */
  imports: string[];
  ast: ts.SourceFile;
}

interface ModuleInfo {
  name: string;
  layer: string;
  /** The module's folder, relative to the subgraph's src/. */
  folder: string;
  manifest: string;
}

interface SubgraphInfo {
  name: string;
  src: string;
  index: string;
  layers: string[];
  modules: ModuleInfo[];
}

const rel = (p: string) => relative(ROOT, p).split(sep).join('/');

function listFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const area of Object.keys(AREAS)) {
    const dir = join(ROOT, area);
    if (area === '.') {
      for (const f of readdirSync(ROOT))
        if (/\.ts$/.test(f) && statSync(join(ROOT, f)).isFile()) out.push(join(ROOT, f));
    } else if (existsSync(dir)) walk(dir);
  }
  return out;
}

function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(js|ts|tsx|mjs)$/, '');
  for (const c of [`${stem}.ts`, `${stem}.tsx`, join(stem, 'index.ts')])
    if (existsSync(c)) return c;
  return null;
}

function parse(path: string): SourceFile {
  const text = readFileSync(path, 'utf8');
  const ast = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      specs.push(node.moduleSpecifier.text);
    else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name))
      specs.push(node.name.text);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      specs.push(node.arguments[0].text);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = node.argument.literal;
      if (ts.isStringLiteral(lit)) specs.push(lit.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ast);
  const imports: string[] = [];
  for (const s of specs) {
    const target = resolveImport(path, s);
    if (target && target !== path) imports.push(target);
  }
  return { path, imports: [...new Set(imports)], ast };
}

/** The object literal passed to `fn(...)` in a file, if any. */
function callArgument(ast: ts.SourceFile, fn: string): ts.ObjectLiteralExpression | null {
  let found: ts.ObjectLiteralExpression | null = null;
  const visit = (node: ts.Node) => {
    if (found) return;
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === fn &&
      node.arguments[0] &&
      ts.isObjectLiteralExpression(node.arguments[0])
    )
      found = node.arguments[0];
    else ts.forEachChild(node, visit);
  };
  visit(ast);
  return found;
}

function property(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | null {
  for (const p of obj.properties)
    if (ts.isPropertyAssignment(p) && p.name.getText() === name) return p.initializer;
  return null;
}

/** Where each identifier imported by a file comes from. */
function importedNames(file: SourceFile): Map<string, string> {
  const names = new Map<string, string>();
  for (const st of file.ast.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const target = resolveImport(file.path, st.moduleSpecifier.text);
    const bindings = st.importClause?.namedBindings;
    if (target && bindings && ts.isNamedImports(bindings))
      for (const el of bindings.elements) names.set(el.name.text, target);
  }
  return names;
}

function readSubgraphs(
  files: Map<string, SourceFile>,
  problems: string[],
  undeclared: string[],
): SubgraphInfo[] {
  const out: SubgraphInfo[] = [];
  const dir = join(ROOT, 'subgraphs');
  for (const name of readdirSync(dir)) {
    const src = join(dir, name, 'src');
    const index = join(src, 'index.ts');
    const file = files.get(index);
    if (!file) continue;
    const def = callArgument(file.ast, 'defineSubgraph');
    if (!def) {
      // Not declared as modules yet: one unit, checked for areas and cycles only.
      undeclared.push(rel(index));
      out.push({ name, src, index, layers: [], modules: [] });
      continue;
    }
    const layersNode = property(def, 'layers');
    const layers =
      layersNode && ts.isArrayLiteralExpression(layersNode)
        ? layersNode.elements.filter(ts.isStringLiteralLike).map((e) => e.text)
        : ['core'];
    const modulesNode = property(def, 'modules');
    const imported = importedNames(file);
    const modules: ModuleInfo[] = [];
    if (!modulesNode || !ts.isArrayLiteralExpression(modulesNode)) {
      problems.push(`${rel(index)}: defineSubgraph needs modules: [ … ] (an array literal)`);
      continue;
    }
    for (const el of modulesNode.elements) {
      const manifest = ts.isIdentifier(el) ? imported.get(el.text) : undefined;
      const mf = manifest && files.get(manifest);
      const arg = mf && callArgument(mf.ast, 'defineModule');
      const nameNode = arg && property(arg, 'name');
      const layerNode = arg && property(arg, 'layer');
      if (
        !mf ||
        !arg ||
        !nameNode ||
        !layerNode ||
        !ts.isStringLiteralLike(nameNode) ||
        !ts.isStringLiteralLike(layerNode)
      ) {
        problems.push(
          `${rel(index)}: module ${el.getText()} must be imported from a file calling defineModule({ name: '…', layer: '…' })`,
        );
        continue;
      }
      if (!layers.includes(layerNode.text))
        problems.push(
          `${rel(manifest!)}: layer '${layerNode.text}' is not one of ${layers.join(', ')}`,
        );
      modules.push({
        name: nameNode.text,
        layer: layerNode.text,
        folder: rel(dirname(manifest!)).slice(rel(src).length + 1),
        manifest: manifest!,
      });
    }
    out.push({ name, src, index, layers, modules });
  }
  return out;
}

function area(path: string): string {
  const r = rel(path);
  const first = r.includes('/') ? r.split('/')[0]! : '.';
  return first === 'subgraphs' ? `subgraphs/${r.split('/')[1]}` : first;
}
const areaRank = (a: string) => AREAS[a.startsWith('subgraphs/') ? 'subgraphs' : a]!;

function check(): { problems: string[]; graph: string[]; undeclared: string[] } {
  const problems: string[] = [];
  const undeclared: string[] = [];
  const files = new Map(listFiles().map((f) => [f, parse(f)]));
  const subgraphs = readSubgraphs(files, problems, undeclared);

  // Where a subgraph file sits: its module (by folder), base, or the subgraph's index.
  const placeOf = (path: string): { sub: SubgraphInfo; module: ModuleInfo | null } | null => {
    const sub = subgraphs.find((s) => path.startsWith(s.src + sep));
    if (!sub) return null;
    const inside = rel(path).slice(rel(sub.src).length + 1);
    const module = sub.modules.find((m) => inside.startsWith(m.folder + '/')) ?? null;
    return { sub, module };
  };

  for (const sub of subgraphs) {
    const rank = (m: ModuleInfo) => sub.layers.indexOf(m.layer);
    sub.modules.forEach((m, i) => {
      const prev = sub.modules[i - 1];
      if (prev && rank(prev) > rank(m))
        problems.push(
          `${rel(sub.index)}: module ${m.name} (${m.layer}) is listed after ${prev.name} (${prev.layer}): list the modules in layer order`,
        );
    });
    // Every folder with a manifest is listed.
    for (const f of files.keys()) {
      if (!f.startsWith(sub.src + sep) || !f.endsWith(`${sep}index.ts`) || f === sub.index)
        continue;
      if (
        callArgument(files.get(f)!.ast, 'defineModule') &&
        !sub.modules.some((m) => m.manifest === f)
      )
        problems.push(`${rel(f)}: a module manifest that ${rel(sub.index)} does not list`);
    }
  }

  const manifests = new Set(subgraphs.flatMap((s) => s.modules.map((m) => m.manifest)));
  const indexes = new Set(subgraphs.map((s) => s.index));
  for (const file of files.values()) {
    const from = area(file.path);
    for (const target of file.imports) {
      const to = area(target);
      const edge = `${rel(file.path)} imports ${rel(target)}`;
      if (from !== to) {
        if (areaRank(to) >= areaRank(from))
          problems.push(`${edge}: ${from} may not import ${to} (areas: ${ORDER})`);
        continue;
      }
      const a = placeOf(file.path);
      const b = placeOf(target);
      if (!a || !b) continue;
      if (file.path === a.sub.index) continue;
      if (manifests.has(target) || indexes.has(target)) {
        problems.push(`${edge}: only ${rel(a.sub.index)} imports a module manifest`);
        continue;
      }
      if (!b.module) continue; // base files are below every module
      if (!a.module) {
        problems.push(`${edge}: a base file of the subgraph imports module ${b.module.name}`);
        continue;
      }
      if (a.module === b.module) continue;
      const la = a.sub.layers.indexOf(a.module.layer);
      const lb = a.sub.layers.indexOf(b.module.layer);
      if (lb > la)
        problems.push(
          `${edge}: ${a.module.name} (${a.module.layer}) may not import ${b.module.name} (${b.module.layer})`,
        );
    }
  }

  for (const cycle of cycles(files)) problems.push(`import cycle: ${cycle.map(rel).join(' → ')}`);

  const graph: string[] = [];
  for (const sub of subgraphs) {
    if (!sub.layers.length) {
      graph.push(`${sub.name}: not declared as modules (one unit)`);
      continue;
    }
    graph.push(`${sub.name}: layers ${sub.layers.join(' ← ')}`);
    for (const m of sub.modules) {
      const deps = new Set<string>();
      for (const f of files.values()) {
        if (placeOf(f.path)?.module !== m) continue;
        for (const t of f.imports) {
          const p = placeOf(t);
          if (p?.module && p.module !== m) deps.add(p.module.name);
        }
      }
      graph.push(`  ${m.name} (${m.layer}) → ${[...deps].sort().join(', ') || '—'}`);
    }
  }
  return { problems, graph, undeclared };
}

const ORDER = 'lib ← subgraphs ← gateway, rest ← server ← scripts ← tests ← bench';

/** Each strongly connected component of more than one file, as one cycle through it. */
function cycles(files: Map<string, SourceFile>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of files.get(v)?.imports ?? []) {
      if (!files.has(w)) continue;
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(cycleThrough(component, files));
    }
  };
  for (const f of [...files.keys()].sort()) if (!index.has(f)) strong(f);
  return out;
}

/** A shortest cycle from the component's first file back to itself, for the message. */
function cycleThrough(component: string[], files: Map<string, SourceFile>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of files.get(v)!.imports) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = prev.get(x)!) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

const { problems, graph, undeclared } = check();
if (process.argv.includes('--graph')) console.log(graph.join('\n'));
if (undeclared.length)
  console.log(
    `layers: not declared as modules yet (no defineSubgraph; checked as one unit): ${undeclared.join(', ')}`,
  );
if (problems.length) {
  console.error(`layers: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layers: no upward import, no cycle');
