import { useEffect, useRef, useState, type ComponentType } from 'react';
import { gql } from './api';
import { live, type LiveStatus } from './live';

/** What every dashboard panel gets: the credential, the workspace, and how to sign out. */
export interface PanelProps {
  credential: string;
  workspaceId: string;
  onRefused: () => void;
}

/**
 * The dashboard's panels, in order. A panel loads its list once and then follows a
 * subscription with `live` (reconnects resume with `since`).
 */
export const PANELS: { id: string; Component: ComponentType<PanelProps> }[] = [
  { id: 'flow-runs', Component: FlowRunsPanel },
  { id: 'incidents', Component: IncidentsPanel },
  { id: 'failure-groups', Component: FailureGroupsPanel },
];

const STATES = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'PAUSED',
  'CANCELLING',
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLED',
] as const;

interface Run {
  id: string;
  name: string;
  stateType: string;
  stateName: string;
}

const RUNS = `query($w: ID!) { workspace(id: $w) { flowRuns(first: 200) { edges { node { id name stateType stateName } } } } }`;
const RUN_EVENTS = `subscription($w: ID!, $since: ID) { flowRunEvents(workspaceId: $w, since: $since) { id to toName flowRun { id name stateType stateName } } }`;

function Status({ status }: { status: LiveStatus }) {
  return (
    <span className={`status ${status}`} data-testid="live-status" data-status={status}>
      {status}
    </span>
  );
}

/**
 * A panel's lifecycle: `load` reads its list once, then the subscription `query` follows it
 * (`onItem` per event; reconnects resume with `since`). `load` and `onItem` get whether the
 * panel is still shown, so nothing updates an unmounted panel. Returns the connection status.
 */
function useLive<E extends { id: string }>(
  { credential, workspaceId, onRefused }: PanelProps,
  query: string,
  load: (shown: () => boolean) => Promise<void>,
  onItem: (event: E, shown: () => boolean) => void,
): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    let stop = () => undefined as void;
    let cancelled = false;
    const shown = () => !cancelled;
    void load(shown).then(() => {
      if (cancelled) return;
      stop = live<E>({
        credential,
        query,
        variables: { w: workspaceId },
        idOf: (e) => e.id,
        onItem: (e) => onItem(e, shown),
        onStatus: setStatus,
        onRefused,
      });
    });
    return () => {
      cancelled = true;
      stop();
    };
    // `load` and `onItem` are the first render's: they only use the props below and setters.
  }, [credential, workspaceId, onRefused, query]);
  return status;
}

function FlowRunsPanel(props: PanelProps) {
  const [runs, setRuns] = useState<Map<string, Run>>(new Map());
  const status = useLive<{ id: string; flowRun: Run | null }>(
    props,
    RUN_EVENTS,
    async (shown) => {
      const res = await gql<{ workspace: { flowRuns: { edges: { node: Run }[] } } }>(
        RUNS,
        { w: props.workspaceId },
        props.credential,
      );
      if (!shown()) return;
      const initial = res.data?.workspace?.flowRuns.edges.map((e) => e.node) ?? [];
      setRuns((current) => new Map([...initial.map((r) => [r.id, r] as const), ...current]));
    },
    (e) => {
      if (e.flowRun) setRuns((m) => new Map(m).set(e.flowRun!.id, e.flowRun!));
    },
  );
  const list = [...runs.values()];
  return (
    <section className="panel" data-testid="flow-runs">
      <h2>
        Flow runs <Status status={status} />
      </h2>
      <div className="states">
        {STATES.map((s) => {
          const n = list.filter((r) => r.stateType === s).length;
          return (
            <div
              key={s}
              className={`state ${s.toLowerCase()}`}
              data-testid={`state-count-${s}`}
              data-count={n}
            >
              <span className="n">{n}</span>
              <span className="label">{s.toLowerCase()}</span>
            </div>
          );
        })}
      </div>
      <ul className="runs">
        {list
          .slice(-50)
          .reverse()
          .map((r) => (
            <li key={r.id} data-testid={`run-${r.id}`} data-state={r.stateType}>
              <span className={`dot ${r.stateType.toLowerCase()}`} /> {r.name}{' '}
              <em>{r.stateName}</em>
            </li>
          ))}
      </ul>
    </section>
  );
}

interface Incident {
  id: string;
  name: string;
  severity: string;
  status: string;
}

const INCIDENTS = `query($w: ID!) { workspace(id: $w) { incidents(first: 50) { edges { node { id name severity status } } } } }`;
const INCIDENT_CHANGES = `subscription($w: ID!, $since: ID) { incidentChanges(workspaceId: $w, since: $since) { id kind incident { id name severity status } } }`;

function IncidentsPanel(props: PanelProps) {
  const [incidents, setIncidents] = useState<Map<string, Incident>>(new Map());
  const status = useLive<{ id: string; incident: Incident | null }>(
    props,
    INCIDENT_CHANGES,
    async (shown) => {
      const res = await gql<{ workspace: { incidents: { edges: { node: Incident }[] } } }>(
        INCIDENTS,
        { w: props.workspaceId },
        props.credential,
      );
      if (!shown()) return;
      const initial = res.data?.workspace?.incidents.edges.map((e) => e.node) ?? [];
      setIncidents((current) => new Map([...initial.map((i) => [i.id, i] as const), ...current]));
    },
    (c) => {
      if (c.incident) setIncidents((m) => new Map(m).set(c.incident!.id, c.incident!));
    },
  );
  const list = [...incidents.values()];
  return (
    <section className="panel" data-testid="incidents">
      <h2>
        Incidents <Status status={status} />
      </h2>
      {list.length === 0 && <p className="empty">No incident.</p>}
      <ul className="incidents">
        {list.map((i) => (
          <li key={i.id} data-testid={`incident-${i.id}`} data-status={i.status}>
            <span className={`sev ${i.severity.toLowerCase()}`}>{i.severity}</span> {i.name}{' '}
            <em>{i.status.toLowerCase()}</em>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface FailureGroup {
  signature: string;
  exceptionType: string | null;
  message: string | null;
  count: number;
  lastSeen: string;
  deployments: { id: string; name: string }[];
}

/** The window the failure groups panel covers. */
const GROUP_WINDOW_MS = 7 * 24 * 3600 * 1000;
const GROUPS = `query($w: ID!, $since: DateTime!) { workspace(id: $w) { failureGroups(since: $since) { signature exceptionType message count lastSeen deployments { id name } } } }`;
/** A new summary may start a group or add to one: the panel reads the groups again. */
const SUMMARY_EVENTS = `subscription($w: ID!, $since: ID) { events(workspaceId: $w, since: $since, filter: { names: ["flowplane.flow-run.error-summary.created"] }) { id } }`;

function FailureGroupsPanel(props: PanelProps) {
  const [groups, setGroups] = useState<FailureGroup[]>([]);
  const [refused, setRefused] = useState<string | null>(null);
  // One read at a time; summaries arriving meanwhile make one more read, not one each.
  const reads = useRef<{ reading: Promise<void> | null; again: boolean }>({
    reading: null,
    again: false,
  });
  const read = (shown: () => boolean): Promise<void> => {
    const r = reads.current;
    if (r.reading) {
      r.again = true;
      return r.reading;
    }
    r.reading = gql<{ workspace: { failureGroups: FailureGroup[] } }>(
      GROUPS,
      { w: props.workspaceId, since: new Date(Date.now() - GROUP_WINDOW_MS).toISOString() },
      props.credential,
    ).then((res) => {
      r.reading = null;
      if (!shown()) return;
      const error = res.errors?.[0];
      if (error) setRefused(error.message);
      else setGroups(res.data?.workspace?.failureGroups ?? []);
      if (r.again) {
        r.again = false;
        void read(shown);
      }
    });
    return r.reading;
  };
  const status = useLive<{ id: string }>(
    props,
    SUMMARY_EVENTS,
    read,
    (_e, shown) => void read(shown),
  );
  return (
    <section className="panel" data-testid="failure-groups">
      <h2>
        Failure groups <Status status={status} />
      </h2>
      {refused && <p className="empty">{refused}</p>}
      {!refused && groups.length === 0 && <p className="empty">No failure in 7 days.</p>}
      <ul className="groups">
        {groups.map((g) => (
          <li key={g.signature} data-testid={`group-${g.signature}`} data-count={g.count}>
            <strong>{g.exceptionType ?? 'Failure'}</strong> {g.message}{' '}
            <em>
              {g.count}× in {g.deployments.length || 'no'} deployment
              {g.deployments.length === 1 ? '' : 's'}, last {new Date(g.lastSeen).toLocaleString()}
            </em>
          </li>
        ))}
      </ul>
    </section>
  );
}
