/** Prints a CPU profile's self time by package and the hottest functions (bench:profile*). */
import type { Profiler } from 'node:inspector';

export function printProfile(profile: Profiler.Profile, { busyOnly = false } = {}): void {
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<number, number>();
  for (const id of profile.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  // A process that also waited (between load runs) reads better as shares of its busy time.
  if (busyOnly)
    for (const id of counts.keys())
      if (byId.get(id)!.callFrame.functionName === '(idle)') counts.delete(id);
  const total = [...counts.values()].reduce((a, b) => a + b, 0) || 1;
  if (busyOnly) console.log(`(shares of busy time: ${total} samples)`);
  for (const [id, c] of counts) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + c);
  }
  const byPkg = new Map<string, number>();
  for (const [k, c] of self) {
    const m = /\s(@[^/]+\/[^/]+|[^/@\s][^/]*)\//.exec(k);
    const pkg =
      k.includes('(anon) :') || k.startsWith('(')
        ? k.split(' ')[0]!
        : (m?.[1] ?? k.split(' ')[1]!.split(':')[0]!);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + c);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}`);
  console.log('\nby package (self time):\n' + top(byPkg, 15).join('\n'));
  console.log('\nhottest functions (self time):\n' + top(self, 30).join('\n'));
}
