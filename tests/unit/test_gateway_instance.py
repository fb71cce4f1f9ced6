"""A gateway worker is one function instance: one invocation at a time, first come first
served, and new connections go to the workers with nothing queued
(docs/decisions/0013-one-invocation-per-instance.md)."""

from __future__ import annotations

import select
import socket
import threading
import time

from scripts.gateway.functions import FunctionRegistry, Instance
from scripts.gateway.server import GatewayHandler, InstanceServer, shared_listener


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


def _busy(registry: FunctionRegistry, release: threading.Event) -> list[threading.Thread]:
    """One invocation running and two queued behind it on the worker, until `release`."""

    def invocation() -> None:
        with registry.instance.turn():
            release.wait(60)

    invocations = [threading.Thread(target=invocation) for _ in range(3)]
    for n, thread in enumerate(invocations):
        thread.start()
        _wait_until(lambda n=n: registry.instance.waiting == n)
    return invocations


def _server(listener: socket.socket, registry: FunctionRegistry) -> InstanceServer:
    handler = type("Handler", (GatewayHandler,), {"registry": registry})
    server = InstanceServer(listener.getsockname(), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.defer_accept = True
    server.DEFER_ACCEPT_SECONDS = 60.0  # only the queue, never the clock, decides here
    return server


def test_a_worker_with_invocations_queued_leaves_a_new_connection_to_an_idle_one():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)  # a wrong worker taking the connection fails, never hangs
    busy_registry, idle_registry = FunctionRegistry(), FunctionRegistry()
    busy, idle = _server(listener, busy_registry), _server(listener, idle_registry)
    release = threading.Event()
    invocations = _busy(busy_registry, release)
    accepted_by_busy: list = []
    busy_accepts = threading.Thread(target=lambda: accepted_by_busy.append(busy.get_request()))
    busy_accepts.start()
    first = socket.create_connection(listener.getsockname())
    conn, peer = idle.get_request()  # the busy worker is waiting: the idle one takes it
    assert peer == first.getsockname() and accepted_by_busy == []
    release.set()  # its queue drains: the busy worker accepts again
    for thread in invocations:
        thread.join(30)
    second = socket.create_connection(listener.getsockname())
    busy_accepts.join(30)
    assert accepted_by_busy and accepted_by_busy[0][1] == second.getsockname()
    for sock in (first, second, conn, accepted_by_busy[0][0], listener):
        sock.close()


def test_a_worker_that_waited_and_lost_the_connection_goes_back_to_its_queue_not_into_accept():
    listener = shared_listener("127.0.0.1", 0)
    registry = FunctionRegistry()
    busy = _server(listener, registry)
    busy.DEFER_ACCEPT_SECONDS = 0.01
    release = threading.Event()
    invocations = _busy(registry, release)
    outcome: list = []

    def accept() -> None:  # the connection that woke it was taken by another worker
        try:
            outcome.append(busy.get_request())
        except OSError as error:
            outcome.append(error)

    accepting = threading.Thread(target=accept, daemon=True)
    accepting.start()
    accepting.join(30)
    release.set()
    for thread in invocations:
        thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], BlockingIOError)
    later = socket.create_connection(listener.getsockname())
    _wait_until(lambda: _readable(listener))
    conn, peer = busy.get_request()  # its queue drained: now it takes the next one
    assert peer == later.getsockname()
    for sock in (later, conn, listener):
        sock.close()


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])
