"""The load benchmark's clients, each in an operating-system process of its own.

Imported by ``bench/load.py`` (which puts the repository root and ``bench/`` on ``sys.path``).
In real life the nurses' tablets and the team's browsers are other machines: threads of one
Python process would wait for each other's turn at the GIL (a response that has arrived waits
while another client parses its page), and that wait would be counted as the server's. So each
client runs in its own process, started by multiprocessing's ``forkserver`` (one clean process
that imported ``bench/load.py`` once, forked for each client), lowered with ``os.nice`` so that
the server and PostgreSQL get the CPU first. Every client signs in, makes its untimed warm-up
rounds (``--warm-up``: the pages a server that has run a while has already seen), says it is
ready, and waits;
all are released together with one shared deadline, so that no sign-in is in the figures. Each
sends back its ``Stats``, the CPU seconds it used in the run and when it stopped.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Sequence
from ctypes import c_double
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

from load_clients import Round, Stats, run_until, signed_in


@dataclass(frozen=True)
class Client:
    """One client of a mix: its round, who it is and the email it signs in with."""

    index: int
    work: Round
    person: Any
    email: str


@dataclass(frozen=True)
class Settings:
    """What every client of a run shares."""

    base: str
    timeout: float
    nice: int
    pause: float
    warm_up: int = 0  # untimed rounds each client makes after signing in


@dataclass
class Run:
    """What the clients of one run timed, how long it lasted and what the clients cost."""

    stats: list[Stats]
    elapsed: float
    cpu: float


def client_process(
    client: Client,
    settings: Settings,
    go: Event,
    deadline: c_double,
    results: multiprocessing.Queue[tuple[Any, ...]],
) -> None:
    """Sign in, say so, wait for the start, loop until the deadline, send back the figures."""
    if settings.nice:
        os.nice(settings.nice)
    try:
        http = signed_in(settings.base, client.email, settings.timeout)
    except Exception as exc:  # noqa: BLE001 — the parent stops the run and says why
        results.put(("ready", client.index, f"{client.email}: {type(exc).__name__} {exc}"))
        return
    for turn in range(settings.warm_up):  # untimed: what a server running a while has seen
        client.work(http, client.person, Stats(), turn)
    results.put(("ready", client.index, None))
    if not go.wait(timeout=900):
        http.close()
        return
    stats = Stats()
    cpu = time.process_time()

    def one_round(turn: int) -> None:
        client.work(http, client.person, stats, turn)

    run_until(deadline.value, one_round, pause=settings.pause, seed=client.index)
    stopped = time.monotonic()
    cpu = time.process_time() - cpu
    http.close()
    results.put(("done", client.index, stats, cpu, stopped))


def _context() -> multiprocessing.context.ForkServerContext:
    """The forkserver context, its server preloaded with the benchmark and this module."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", "load_runner"])
    return context


def run_clients(
    clients: list[Client], settings: Settings, seconds: float, every_second: Callable[[], None]
) -> Run:
    """Start one process per client, release them together for ``seconds``, collect figures;
    ``every_second`` is called about once a second meanwhile (the server's memory)."""
    context = _context()
    results: multiprocessing.Queue[tuple[Any, ...]] = context.Queue()
    go = context.Event()
    deadline = context.Value("d", 0.0, lock=False)
    processes = [
        context.Process(
            target=client_process,
            args=(client, settings, go, deadline, results),
            name=f"load-client-{client.index}",
            daemon=True,
        )
        for client in clients
    ]
    try:
        for process in processes:
            process.start()
        give_up = time.monotonic() + 120 + settings.timeout
        for _ in processes:
            _kind, _index, error = _next(results, processes, give_up)
            if error is not None:
                raise RuntimeError(f"a client could not sign in: {error}")
        started = time.monotonic()
        deadline.value = started + seconds
        go.set()
        done: dict[int, tuple[Stats, float, float]] = {}
        give_up = deadline.value + 2 * settings.timeout + 60
        next_sample = started
        while len(done) < len(processes):
            if time.monotonic() >= next_sample:
                every_second()
                next_sample += 1.0
            wait = max(0.01, min(next_sample, give_up) - time.monotonic())
            message = _next(results, processes, give_up, wait)
            if message:
                _kind, index, stats, cpu, stopped = message
                done[index] = (stats, cpu, stopped)
        elapsed = max(stopped for _s, _c, stopped in done.values()) - started
        return Run(
            [stats for stats, _c, _s in done.values()],
            elapsed,
            sum(cpu for _s, cpu, _t in done.values()),
        )
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=10)
        results.close()


def _next(
    results: multiprocessing.Queue[tuple[Any, ...]],
    processes: Sequence[multiprocessing.process.BaseProcess],
    give_up: float,
    wait: float | None = None,
) -> tuple[Any, ...]:
    """The next message of a client; with ``wait``, nothing if none came in that time. Stops
    the run when a client died without a word or the run lasts far too long."""
    while True:
        try:
            return results.get(timeout=wait if wait is not None else 1.0)
        except queue.Empty:
            pass
        if time.monotonic() > give_up:
            raise RuntimeError("the load clients did not finish in time")
        dead = [p for p in processes if p.exitcode not in (None, 0)]
        if dead:
            raise RuntimeError(f"{dead[0].name} stopped with exit code {dead[0].exitcode}")
        if wait is not None:
            return ()
