import type { WorkPool } from '../work-pools/work-pool.entity.js';

/**
 * The job a push pool hands its infrastructure for one flow run: everything needed to start
 * it with no worker (`prefect flow-run execute <id>` with `env` set is enough for Prefect).
 */
export interface PushJob {
  /** The submission (stable across retries: the receiver can de-duplicate on it). */
  id: string;
  /** 1 for the first attempt. */
  attempt: number;
  flowRun: {
    id: string;
    name: string;
    tags: string[];
    expectedStartTime: string | null;
  };
  flow: { id: string; name: string };
  deployment: {
    id: string;
    name: string;
    version: string | null;
    entrypoint: string | null;
    path: string | null;
    pullSteps: unknown;
  } | null;
  parameters: Record<string, unknown>;
  /** The deployment's job variables over the defaults of the pool's base job template. */
  jobVariables: Record<string, unknown>;
  /** The pool's base job template `job_configuration`, as stored (placeholders unresolved). */
  jobConfiguration: Record<string, unknown>;
  workPool: { id: string; name: string; type: string };
  /** Where and how the run reports back: the REST API (Prefect's dialect) and its credential. */
  api: { url: string; key: string; expiresAt: string };
  /** The environment a Prefect process needs to execute the run. */
  env: Record<string, string>;
}

/** What a push submitter answers for an accepted job. */
export interface Submitted {
  /** What the infrastructure calls the run (a job name, an execution id); null if it said none. */
  infrastructureId: string | null;
}

/** A submission that must not be retried (e.g. the endpoint is refused by the address policy). */
export class SubmissionRefused extends Error {}

/**
 * One push pool type: how the control plane starts a run on that infrastructure and stops it.
 * The push service (push.service.ts) does the rest for every type: it claims due runs
 * atomically, mints the run-scoped credential, retries failed submissions with back-off, marks
 * the run CRASHED after the last attempt, and CANCELLED after `cancel`. See docs/push-pools.md.
 */
export interface PushSubmitter {
  /** The pool type it serves, ending in "-push" (e.g. "webhook-push", later "ecs-push"). */
  readonly type: string;
  /**
   * Starts the job. Resolves once the infrastructure accepted it; rejects with an Error to be
   * retried, or a SubmissionRefused to fail at once. Must not wait for the run itself.
   */
  submit(pool: WorkPool, job: PushJob): Promise<Submitted>;
  /**
   * Stops a submitted run (`infrastructureId` as `submit` answered). Resolves when the
   * infrastructure took the request (or the type has nothing to call); rejects to be retried.
   */
  cancel(
    pool: WorkPool,
    run: { flowRunId: string; infrastructureId: string | null; submissionId: string },
  ): Promise<void>;
}
