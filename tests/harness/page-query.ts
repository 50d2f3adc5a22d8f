/**
 * The benchmarks' 100-run page (bench/scenarios re-exports it): a workspace's runs with fields
 * from three subgraphs (workspaces, operations, users). Here so that the tests that count what
 * it reads (tests/operations/page-reads) measure the very query the benchmarks time.
 */
export const RUNS_100 = `query Runs($id: ID!) {
  workspace(id: $id) {
    flowRuns(first: 100) {
      totalCount
      edges { node { id name stateType stateName tags flow { name } createdBy { handle } } }
    }
  }
}`;
