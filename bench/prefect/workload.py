"""The workload of the peer benchmark (bench/prefect-peer.ts): the same Prefect flows, run by the
real Prefect client, against whatever PREFECT_API_URL names (Prefect's own server or Flowplane).

  python workload.py flows <concurrency> <flows per process> <tasks per flow>
      `concurrency` processes start together and each runs its flows one after another; every
      flow runs its tasks one after another. Prints `RESULT {...}`: flows and tasks completed,
      failures, and the seconds from the common start until the last process finished.
  python workload.py deploy <work pool> <deployment name>
      Creates a process work pool and a deployment of `peer-bench-deployed` from this file.
      Prints `RESULT {"deployment_id": ...}`.
  python workload.py enqueue <deployment id> <runs> <tasks per flow>
      Creates `runs` flow runs of the deployment (not waiting for them). Prints `RESULT {...}`.
"""
import json
import multiprocessing as mp
import os
import sys
import time

FLOW_NAME = "peer-bench"


def define():
    from prefect import flow, task

    @task
    def step(i: int, x: int) -> int:
        return x + i

    @flow(name=FLOW_NAME)
    def bench_flow(tasks: int) -> int:
        x = 0
        for i in range(tasks):
            x = step(i, x)
        return x

    return bench_flow


def run_process(flows: int, tasks: int, ready, start, results) -> None:
    bench_flow = define()
    # Import and client set-up are not part of the measurement.
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.api_healthcheck()
    ready.wait()
    start.wait()
    ok = failed = 0
    expected = sum(range(tasks))
    errors = []
    for _ in range(flows):
        try:
            state = bench_flow(tasks, return_state=True)
            if state.is_completed() and state.result() == expected:
                ok += 1
            else:
                failed += 1
                errors.append(str(state))
        except Exception as e:  # noqa: BLE001 — counted and reported, the run goes on
            failed += 1
            errors.append(repr(e))
    results.put({"ok": ok, "failed": failed, "errors": errors[:3], "end": time.time()})


def flows(concurrency: int, per_process: int, tasks: int) -> dict:
    ctx = mp.get_context("spawn")
    ready = ctx.Barrier(concurrency + 1)
    start = ctx.Barrier(concurrency + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=run_process, args=(per_process, tasks, ready, start, results))
        for _ in range(concurrency)
    ]
    for p in procs:
        p.start()
    ready.wait()
    began = time.time()
    start.wait()
    outcomes = [results.get() for _ in procs]
    for p in procs:
        p.join()
    ok = sum(o["ok"] for o in outcomes)
    return {
        "flows": ok,
        "tasks": ok * tasks,
        "failed": sum(o["failed"] for o in outcomes),
        "errors": [e for o in outcomes for e in o["errors"]][:5],
        "seconds": max(o["end"] for o in outcomes) - began,
        "started_at": began,
    }


def deploy(pool: str, name: str) -> dict:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"), overwrite=True)
    here = os.path.dirname(os.path.abspath(__file__))
    from prefect import flow

    deployment_id = flow.from_source(source=here, entrypoint="workload.py:deployed").deploy(
        name=name, work_pool_name=pool, print_next_steps=False
    )
    return {"deployment_id": str(deployment_id)}


def enqueue(deployment_id: str, runs: int, tasks: int) -> dict:
    from prefect.client.orchestration import get_client

    began = time.time()
    ids = []
    with get_client(sync_client=True) as client:
        for _ in range(runs):
            run = client.create_flow_run_from_deployment(deployment_id, parameters={"tasks": tasks})
            ids.append(str(run.id))
    return {"flow_run_ids": ids, "seconds": time.time() - began, "started_at": began}


def _deployed():
    from prefect import flow, task

    @task
    def step(i: int, x: int) -> int:
        return x + i

    @flow(name="peer-bench-deployed")
    def deployed(tasks: int = 5) -> int:
        x = 0
        for i in range(tasks):
            x = step(i, x)
        return x

    return deployed


# The deployment's entrypoint (`workload.py:deployed`), loaded by the process worker.
if __name__ != "__main__" and __name__ != "__mp_main__":
    deployed = _deployed()


def main() -> None:
    cmd = sys.argv[1]
    if cmd == "flows":
        out = flows(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "deploy":
        out = deploy(sys.argv[2], sys.argv[3])
    elif cmd == "enqueue":
        out = enqueue(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown command {cmd}")
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
