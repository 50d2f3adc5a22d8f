/** Prints a CPU profile's self time by package and the hottest functions (bench:profile*). */
import type { Profiler } from 'node:inspector';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** `name file:line`, paths shortened to the package (node_modules) or the repository. */
function frameKey(f: Profiler.ProfileNode['callFrame']): string {
  const url = f.url
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\//, '')
    .replace(ROOT, '');
  return `${f.functionName || '(anon)'} ${url}:${f.lineNumber}`;
}

/** The package (or repository folder) of a frame key; native frames by their own name. */
function packageOf(k: string): string {
  const [name, where = ''] = [k.slice(0, k.lastIndexOf(' ')), k.slice(k.lastIndexOf(' ') + 1)];
  if (where.startsWith(':')) return `(native) ${name}`;
  const m = /^(@[^/]+\/[^/]+|node:[^/:]+|[^/]+)/.exec(where);
  return m?.[1] ?? where;
}

export interface ProfileReportOptions {
  /** Shares of busy time (idle samples left out): a process that also waited reads better so. */
  busyOnly?: boolean;
  /** Also list functions by inclusive time (self plus callees), this many. */
  inclusive?: number;
}

export function printProfile(
  profile: Profiler.Profile,
  { busyOnly = false, inclusive = 0 }: ProfileReportOptions = {},
): void {
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<number, number>();
  for (const id of profile.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (busyOnly)
    for (const id of counts.keys())
      if (byId.get(id)!.callFrame.functionName === '(idle)') counts.delete(id);
  const total = [...counts.values()].reduce((a, b) => a + b, 0) || 1;
  if (busyOnly) console.log(`(shares of busy time: ${total} samples)`);
  for (const [id, c] of counts) {
    const key = frameKey(byId.get(id)!.callFrame);
    self.set(key, (self.get(key) ?? 0) + c);
  }
  const byPkg = new Map<string, number>();
  for (const [k, c] of self) {
    const pkg = packageOf(k);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + c);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}`);
  console.log('\nby package (self time):\n' + top(byPkg, 15).join('\n'));
  console.log('\nhottest functions (self time):\n' + top(self, 30).join('\n'));
  if (!inclusive) return;
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  const inclPkg = new Map<string, number>();
  for (const [id, c] of counts) {
    const seen = new Set<string>();
    const pkgs = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (!f.url) continue;
      const key = frameKey(f);
      pkgs.add(packageOf(key));
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + c);
    }
    for (const p of pkgs) inclPkg.set(p, (inclPkg.get(p) ?? 0) + c);
  }
  console.log('\npackages on the stack (inclusive, overlapping):\n' + top(inclPkg, 25).join('\n'));
  console.log('\nfunctions by inclusive time:\n' + top(incl, inclusive).join('\n'));
  // The repository's own functions (its top-level folders, not packages or Node's).
  const OURS = new Set(['lib', 'subgraphs', 'gateway', 'rest', 'server', 'bench']);
  const ours = new Map([...incl].filter(([k]) => OURS.has(packageOf(k))));
  console.log('\nour functions by inclusive time:\n' + top(ours, inclusive).join('\n'));
}
