/**
 * Creates runs of a deployment from a process of its own (so the load generator's own work, such
 * as thousands of subscriber sockets, does not slow the mutations it times):
 *   tsx bench/create-runs.ts <graphql url> <token> <deploymentId> <count> [concurrency]
 * Prints one JSON line: the run ids and the seconds from the first send to the last answer.
 */
import { graphqlClient } from './http-client.js';

const [url, token, deploymentId, count, concurrency = '8'] = process.argv.slice(2);
const call = graphqlClient(url!, token!);
const CREATE = `mutation($i: CreateFlowRunInput!) { createFlowRun(input: $i) { id } }`;
const ids: string[] = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < Number(count)) {
      next++;
      ids.push((await call(CREATE, { i: { deploymentId } })).createFlowRun.id as string);
    }
  }),
);
console.log(JSON.stringify({ ids, seconds: (performance.now() - started) / 1000 }));
process.exit(0);
