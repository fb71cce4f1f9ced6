"""A gateway worker is one function instance: one invocation at a time, first come first
served (docs/decisions/0013-one-invocation-per-instance.md)."""

from __future__ import annotations

import threading
import time

from scripts.gateway.functions import FunctionRegistry, Instance


def _wait_until(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.001)


def test_invocations_run_one_at_a_time_in_the_order_they_came():
    instance = Instance()
    inside, order, lock = [0], [], threading.Lock()
    first_in, let_go = threading.Event(), threading.Event()

    def invocation(name: str) -> None:
        with instance.turn():
            with lock:
                inside[0] += 1
                assert inside[0] == 1, "two invocations ran at once"
                order.append(name)
            if name == "first":
                first_in.set()
                let_go.wait(30)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=invocation, args=("first",))]
    threads[0].start()
    assert first_in.wait(30)
    for n, name in enumerate(("second", "third", "fourth"), start=1):
        thread = threading.Thread(target=invocation, args=(name,))
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: instance.waiting == n)  # queued behind the ones before it
    let_go.set()
    for thread in threads:
        thread.join(30)
    assert order == ["first", "second", "third", "fourth"]
    assert instance.waiting == 0


def test_a_failed_invocation_hands_the_turn_on():
    instance = Instance()
    try:
        with instance.turn():
            raise RuntimeError("the handler crashed")
    except RuntimeError:
        pass
    ran = threading.Event()

    def next_one() -> None:
        with instance.turn():
            ran.set()

    thread = threading.Thread(target=next_one)
    thread.start()
    thread.join(30)
    assert ran.is_set()


def test_the_registry_runs_its_handlers_in_the_worker_s_instance():
    registry = FunctionRegistry()
    health = registry.handler("health_check")
    assert health is not None and health.auth == "optional"  # the function's marks kept
    with registry.instance.turn():
        caller = threading.Thread(target=health, args=({}, None))
        caller.start()
        _wait_until(lambda: registry.instance.waiting == 1)
    caller.join(30)
    assert registry.instance.waiting == 0
