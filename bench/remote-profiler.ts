/**
 * Samples the CPU of another Node process for exactly the window of a workload: the process runs
 * with `--inspect=127.0.0.1:0`, and this speaks the DevTools protocol to its inspector
 * (Profiler.start / Profiler.stop), so start-up and seeding stay out of the profile.
 */
import type { Profiler } from 'node:inspector';
import WebSocket from 'ws';

/** The inspector's WebSocket URL from a process's output ("Debugger listening on ws://…"). */
export function inspectorUrl(output: string[]): string {
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(output.join(''));
  if (!m) throw new Error('the process did not print an inspector URL (start it with --inspect)');
  return m[1]!;
}

/** A DevTools-protocol session to one inspector. */
export class RemoteProfiler {
  private next = 1;
  private readonly waiting = new Map<number, (r: { result?: any; error?: unknown }) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id !== undefined) this.waiting.get(msg.id)?.(msg);
      if (msg.id !== undefined) this.waiting.delete(msg.id);
    });
  }

  static async connect(url: string): Promise<RemoteProfiler> {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const p = new RemoteProfiler(ws);
    await p.post('Profiler.enable');
    // 1 ms sampling, like `--cpu-prof`.
    await p.post('Profiler.setSamplingInterval', { interval: 1000 });
    return p;
  }

  post(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) =>
        r.error ? reject(new Error(JSON.stringify(r.error))) : resolve(r.result),
      );
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Profiles the process while `work` runs. */
  async around<T>(work: () => Promise<T>): Promise<{ value: T; profile: Profiler.Profile }> {
    await this.post('Profiler.start');
    const value = await work();
    const { profile } = (await this.post('Profiler.stop')) as { profile: Profiler.Profile };
    return { value, profile };
  }

  close(): void {
    this.ws.close();
  }
}
