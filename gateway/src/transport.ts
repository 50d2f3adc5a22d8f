import http from 'node:http';
import https from 'node:https';
import type { GraphQLRequest } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { BUS_POSITION_HEADER } from '../../lib/bus.js';
import type { Caller } from '../../lib/internal-token.js';
import { traceClientCall } from '../../lib/tracing.js';
import type { Subgraph } from '../../lib/subgraph.js';

export type SubgraphName = 'users' | 'workspaces' | 'access' | 'operations';
export const SUBGRAPH_NAMES: readonly SubgraphName[] = [
  'users',
  'workspaces',
  'access',
  'operations',
];

export interface SubgraphResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
  /**
   * Not GraphQL: where the subgraph's published events had got to in the bus when it answered
   * (`Bus.position`, from `BUS_POSITION_HEADER`); absent from a subgraph that does not say.
   * The gateway takes it off before the planner sees the result.
   */
  busPosition?: string;
}

/** How the gateway reaches a subgraph: a function call (embedded) or HTTP (distributed). */
export interface SubgraphTransport {
  /**
   * Whether a subgraph call is work on this process's event loop (embedded) rather than a wait
   * for another process: how many subscription deliveries may run at once depends on it.
   */
  readonly inProcess?: boolean;
  execute(name: SubgraphName, request: GraphQLRequest, caller: Caller): Promise<SubgraphResult>;
  ready(): Promise<Record<SubgraphName, boolean>>;
  /** Releases connections (the gateway's last step when it stops). */
  close?(): void;
}

/**
 * Embedded mode: no HTTP hop, the subgraph's Apollo pipeline runs in this process, with the
 * caller's claims as they are (no token to sign or verify inside one process).
 */
export class InProcessTransport implements SubgraphTransport {
  readonly inProcess = true;

  constructor(private readonly subgraphs: Record<SubgraphName, Subgraph<any>>) {}

  async execute(
    name: SubgraphName,
    request: GraphQLRequest,
    caller: Caller,
  ): Promise<SubgraphResult> {
    const subgraph = this.subgraphs[name];
    const result: SubgraphResult = await subgraph.executeAs(request, caller.claims);
    // Only a bus with positions (Redis) has one to give; the in-process bus delivers in publish.
    const position = subgraph.busPosition();
    if (position !== undefined) result.busPosition = position;
    return result;
  }

  async ready(): Promise<Record<SubgraphName, boolean>> {
    const entries = await Promise.all(
      SUBGRAPH_NAMES.map(async (n) => [n, await this.subgraphs[n].ready()] as const),
    );
    return Object.fromEntries(entries) as Record<SubgraphName, boolean>;
  }
}

/** Error result for a subgraph answer that is not GraphQL (a proxy's error page, a crash). */
const notGraphQL = (name: SubgraphName, status: number | undefined): SubgraphResult => ({
  errors: [
    {
      message: `Subgraph ${name} answered ${status ?? 'nothing'}`,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    },
  ],
});

export interface HttpTransportOptions {
  /** A subgraph call that takes longer fails (the gateway's own request timeout is longer). */
  timeoutMs?: number;
  /** Open connections per subgraph. */
  maxSockets?: number;
}

/**
 * Distributed mode: POST to each subgraph's /graphql over keep-alive connections of node:http.
 * (Node's `fetch` did the same through web streams and cost about 11 % of the gateway's CPU
 * per request under load.) A request that finds its reused connection closed by the subgraph's
 * idle timeout (ECONNRESET before any answer) is sent once more on a new connection of its own,
 * not the pool's: when a subgraph's event loop stalls for longer than its keep-alive timeout, it
 * closes every idle connection at once as it resumes, and a retry through the pool met another
 * closing one (a lifecycle of bench:sustained at 40 runs/s failed with "socket hang up" so).
 */
export class HttpTransport implements SubgraphTransport {
  private readonly targets: Record<SubgraphName, URL>;
  private readonly http: http.Agent;
  private readonly https: https.Agent;
  private readonly timeoutMs: number;

  constructor(
    private readonly urls: Record<SubgraphName, string>,
    opts: HttpTransportOptions = {},
  ) {
    this.targets = Object.fromEntries(
      Object.entries(urls).map(([n, u]) => [n, new URL(u)]),
    ) as Record<SubgraphName, URL>;
    const agent = {
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 64,
      scheduling: 'lifo' as const,
    };
    this.http = new http.Agent(agent);
    this.https = new https.Agent(agent);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async execute(
    name: SubgraphName,
    request: GraphQLRequest,
    caller: Caller,
  ): Promise<SubgraphResult> {
    const token = caller.token();
    const trace: Record<string, string> = {};
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
    });
    return traceClientCall(`subgraph ${name}`, trace, async () => {
      try {
        return await this.post(name, body, token, trace);
      } catch (err) {
        // On a connection of its own: the pool's other idle connections may be closing too (a
        // subgraph whose event loop stalled closes every idle one at once when it resumes).
        if ((err as RetryableError).retryable) return this.post(name, body, token, trace, true);
        throw err;
      }
    });
  }

  private post(
    name: SubgraphName,
    body: string,
    token: string,
    trace: Record<string, string>,
    fresh = false,
  ): Promise<SubgraphResult> {
    const url = this.targets[name];
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          // `false`: a new connection, closed after the answer.
          agent: fresh ? false : secure ? this.https : this.http,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: 'POST',
          timeout: this.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            accept: 'application/graphql-response+json, application/json',
            authorization: `Bearer ${token}`,
            ...trace,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            try {
              const result = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SubgraphResult;
              const position = res.headers[BUS_POSITION_HEADER];
              if (typeof position === 'string') result.busPosition = position;
              resolve(result);
            } catch {
              resolve(notGraphQL(name, res.statusCode));
            }
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`Subgraph ${name} did not answer within ${this.timeoutMs} ms`)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET')
          Object.assign(err, { retryable: true } satisfies RetryableError);
        reject(err);
      });
      req.end(body);
    });
  }

  async ready(): Promise<Record<SubgraphName, boolean>> {
    const entries = await Promise.all(
      SUBGRAPH_NAMES.map(async (n) => {
        try {
          const res = await fetch(new URL('/ready', this.urls[n]), {
            signal: AbortSignal.timeout(2000),
          });
          return [n, res.ok] as const;
        } catch {
          return [n, false] as const;
        }
      }),
    );
    return Object.fromEntries(entries) as Record<SubgraphName, boolean>;
  }

  /** Closes idle connections (open ones close when their requests end). */
  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

interface RetryableError {
  retryable?: boolean;
}
