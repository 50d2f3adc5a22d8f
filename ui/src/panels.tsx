import { useEffect, useState, type ComponentType } from 'react';
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
 * subscription with `live` (reconnects resume with `since`). Failure groups join here when the
 * API has them: one more entry, with its own query and subscription.
 */
export const PANELS: { id: string; Component: ComponentType<PanelProps> }[] = [
  { id: 'flow-runs', Component: FlowRunsPanel },
  { id: 'incidents', Component: IncidentsPanel },
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

function FlowRunsPanel({ credential, workspaceId, onRefused }: PanelProps) {
  const [runs, setRuns] = useState<Map<string, Run>>(new Map());
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    let stop = () => undefined as void;
    let cancelled = false;
    void gql<{ workspace: { flowRuns: { edges: { node: Run }[] } } }>(
      RUNS,
      { w: workspaceId },
      credential,
    ).then((res) => {
      if (cancelled) return;
      const initial = res.data?.workspace?.flowRuns.edges.map((e) => e.node) ?? [];
      setRuns((current) => new Map([...initial.map((r) => [r.id, r] as const), ...current]));
      stop = live<{ id: string; flowRun: Run | null }>({
        credential,
        query: RUN_EVENTS,
        variables: { w: workspaceId },
        idOf: (e) => e.id,
        onItem: (e) => {
          if (e.flowRun) setRuns((m) => new Map(m).set(e.flowRun!.id, e.flowRun!));
        },
        onStatus: setStatus,
        onRefused,
      });
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, [credential, workspaceId, onRefused]);
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

function IncidentsPanel({ credential, workspaceId, onRefused }: PanelProps) {
  const [incidents, setIncidents] = useState<Map<string, Incident>>(new Map());
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    let stop = () => undefined as void;
    let cancelled = false;
    void gql<{ workspace: { incidents: { edges: { node: Incident }[] } } }>(
      INCIDENTS,
      { w: workspaceId },
      credential,
    ).then((res) => {
      if (cancelled) return;
      const initial = res.data?.workspace?.incidents.edges.map((e) => e.node) ?? [];
      setIncidents((current) => new Map([...initial.map((i) => [i.id, i] as const), ...current]));
      stop = live<{ id: string; incident: Incident | null }>({
        credential,
        query: INCIDENT_CHANGES,
        variables: { w: workspaceId },
        idOf: (c) => c.id,
        onItem: (c) => {
          if (c.incident) setIncidents((m) => new Map(m).set(c.incident!.id, c.incident!));
        },
        onStatus: setStatus,
        onRefused,
      });
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, [credential, workspaceId, onRefused]);
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
