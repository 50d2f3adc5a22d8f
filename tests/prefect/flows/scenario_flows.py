"""Flows of the Prefect compatibility tests (tests/prefect/*.test.ts), run by the real client.

Usage: python scenario_flows.py <scenario> [args]; prints one JSON line `RESULT {...}` at the end.
"""
import json
import sys
import time

from prefect import flow, task
from prefect.logging import get_run_logger

ATTEMPTS = {"flaky": 0}


@task
def add(x: int, y: int) -> int:
    return x + y


@task(retries=1, retry_delay_seconds=0)
def flaky(x: int) -> int:
    ATTEMPTS["flaky"] += 1
    if ATTEMPTS["flaky"] == 1:
        raise ValueError("first attempt fails")
    return x * 2


@task
def shout(text: str) -> str:
    print(f"shouting {text}")
    return text.upper()


@flow(name="child-flow")
def child(n: int) -> int:
    get_run_logger().info("child got %s", n)
    return n + 1


@flow(name="parent-flow", log_prints=True)
def parent(a: int, b: int = 2, word: str = "hi") -> dict:
    print(f"parent starts with {a} {b} {word}")
    s = add(a, b)
    d = flaky(s)
    w = shout(word)
    c = child(d)
    return {"sum": s, "double": d, "word": w, "child": c}


@flow(name="hello-flow")
def hello(name: str) -> str:
    return shout(name)


@flow(name="failing-flow")
def failing(message: str):
    raise RuntimeError(message)


@task
def load_rows() -> list:
    import flowplane_missing_module  # noqa: F401  (not installed: the error-summary scenario)

    return []


@flow(name="missing-import-flow")
def missing_import():
    return load_rows()


@flow(name="sleeping-flow")
def sleeping(seconds: int):
    from prefect.runtime import flow_run

    print(f"READY {flow_run.id}", flush=True)
    time.sleep(seconds)


@flow(name="platform-flow")
def platform(secret_name: str, var_name: str, limit_name: str, artifact_key: str, hold: float = 0) -> dict:
    from prefect.variables import Variable
    from prefect.artifacts import create_markdown_artifact
    from prefect.blocks.system import Secret
    from prefect.concurrency.sync import concurrency
    from prefect.events import emit_event

    Secret(value="s3cr3t-value").save(secret_name, overwrite=True)
    secret = Secret.load(secret_name).get()
    Variable.set(var_name, "first")
    Variable.set(var_name, "second", overwrite=True)
    variable = Variable.get(var_name)
    with concurrency(limit_name, occupy=1, strict=True):
        print("HOLDING", flush=True)
        time.sleep(hold)
        inside = "ran inside the limit"
    create_markdown_artifact("# Report\n\nAll good.", key=artifact_key, description="the report")
    emit_event(
        event="custom.report.published",
        resource={"prefect.resource.id": f"custom.report.{artifact_key}"},
        payload={"rows": 3},
    )
    return {"secret": secret, "variable": variable, "inside": inside}


@flow(name="deployed-flow", log_prints=True)
def deployed(n: int = 1, seconds: float = 0) -> int:
    from prefect.runtime import flow_run

    print(f"deployed run {flow_run.id} got {n}", flush=True)
    time.sleep(seconds)
    return shout(str(n * 2))


def deploy(pool: str, name: str) -> None:
    """`flow.deploy()` of `deployed` from this directory (a process pool: no image)."""
    from pathlib import Path

    d = deployed.from_source(source=str(Path(__file__).parent), entrypoint="scenario_flows.py:deployed")
    deployment_id = d.deploy(name=name, work_pool_name=pool, parameters={"n": 21}, print_next_steps=False)
    print("RESULT " + json.dumps({"deployment_id": str(deployment_id)}))


def serve(name: str, interval: float) -> None:
    """`flow.serve()` of `hello` with an interval schedule; runs until killed."""
    hello.serve(name=name, interval=interval, parameters={"name": "served"})


def subscribe(prefix: str, count: int) -> None:
    """Prints the next `count` events whose name starts with `prefix` (Prefect's events/out)."""
    import asyncio

    from prefect.events.clients import get_events_subscriber
    from prefect.events.filters import EventFilter, EventNameFilter

    async def go() -> None:
        wanted = EventFilter(event=EventNameFilter(prefix=[prefix]))
        async with get_events_subscriber(filter=wanted, reconnection_attempts=0) as subscriber:
            print("READY", flush=True)
            seen = 0
            async for event in subscriber:
                print("EVENT " + json.dumps({"event": event.event, "resource": event.resource.id, "payload": event.payload}), flush=True)
                seen += 1
                if seen >= count:
                    return

    asyncio.run(go())


def main() -> None:
    scenario = sys.argv[1]
    if scenario == "parent":
        state = parent(3, word="hello", return_state=True)
        print("RESULT " + json.dumps({"type": state.type.value, "result": state.result(raise_on_failure=False) if state.is_completed() else None, "flow_run_id": str(state.state_details.flow_run_id)}))
    elif scenario == "hello":
        state = hello(sys.argv[2], return_state=True)
        print("RESULT " + json.dumps({"type": state.type.value, "result": state.result(raise_on_failure=False) if state.is_completed() else None, "flow_run_id": str(state.state_details.flow_run_id)}))
    elif scenario == "failing":
        state = failing(sys.argv[2], return_state=True)
        print("RESULT " + json.dumps({"type": state.type.value, "message": state.message, "flow_run_id": str(state.state_details.flow_run_id)}))
    elif scenario == "missing_import":
        state = missing_import(return_state=True)
        print("RESULT " + json.dumps({"type": state.type.value, "message": state.message, "flow_run_id": str(state.state_details.flow_run_id)}))
    elif scenario == "sleeping":
        sleeping(int(sys.argv[2]))
    elif scenario == "platform":
        state = platform(*sys.argv[2:6], hold=float(sys.argv[6]), return_state=True)
        print("RESULT " + json.dumps({"type": state.type.value, "message": state.message, "result": state.result(raise_on_failure=False) if state.is_completed() else None}))
    elif scenario == "deploy":
        deploy(sys.argv[2], sys.argv[3])
    elif scenario == "serve":
        serve(sys.argv[2], float(sys.argv[3]))
    elif scenario == "subscribe":
        subscribe(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    main()
