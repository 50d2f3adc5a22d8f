import type { GraphQLRequest } from '@apollo/server';
import type { Caller } from '../../lib/internal-token.js';
import type {
  SubgraphName,
  SubgraphResult,
  SubgraphTransport,
} from '../../gateway/src/transport.js';

/**
 * The real in-process transport, with a gate (startStack's `wrapTransport`): while closed,
 * subgraph calls wait, so that requests are certainly in flight together, or a call is held
 * while something else happens. Every call is recorded.
 */
export class TransportGate implements SubgraphTransport {
  calls: { name: SubgraphName; query: string }[] = [];
  /** Calls that waited at the closed gate so far. */
  held = 0;
  private waiting: (() => void)[] = [];
  private closed = false;
  constructor(private readonly inner: SubgraphTransport) {}

  async execute(name: SubgraphName, request: GraphQLRequest, caller: Caller) {
    this.calls.push({ name, query: request.query ?? '' });
    if (this.closed) {
      this.held++;
      await new Promise<void>((r) => this.waiting.push(r));
    }
    return this.inner.execute(name, request, caller) as Promise<SubgraphResult>;
  }
  ready() {
    return this.inner.ready();
  }
  close() {
    this.closed = true;
  }
  open() {
    this.closed = false;
    for (const r of this.waiting.splice(0)) r();
  }
  /** Calls to `name` whose document contains `fragment`. */
  callsTo(name: SubgraphName | null, fragment: string) {
    return this.calls.filter((c) => (!name || c.name === name) && c.query.includes(fragment))
      .length;
  }
}

/** Waits (up to 5 s) for `check`, else fails naming `what`. */
export async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}
