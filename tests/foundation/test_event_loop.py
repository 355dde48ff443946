"""No route blocks the event loop with database work (issue 17: two saves froze the server).

FastAPI runs a plain ``def`` route or dependency in its thread pool, an ``async def`` one on the
event loop. A blocking query on the loop stops every request; one that waits for a row lock
also stops the commit that would release it, and the server never answers again.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from app.core.db import get_session
from app.core.deps import PostedForm, SessionDep
from app.main import create_app
from tests.foundation.test_route_access import all_routes


def runs_on_event_loop(call: Callable[..., Any] | None) -> bool:
    """Whether FastAPI awaits this callable on the event loop (async function or __call__)."""
    if call is None:
        return False
    while isinstance(call, functools.partial):
        call = call.func
    call = inspect.unwrap(call)
    if asyncio.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    dunder = getattr(call, "__call__", None)  # noqa: B004  (a dependency class instance)
    if not inspect.isfunction(call) and not inspect.isclass(call) and dunder is not None:
        return asyncio.iscoroutinefunction(dunder) or inspect.isasyncgenfunction(dunder)
    return False


def uses_session(dependant: Dependant) -> bool:
    """Whether the session dependency is among this dependant's dependencies, at any depth."""
    stack = list(dependant.dependencies)
    while stack:
        current = stack.pop()
        if current.call is get_session:
            return True
        stack.extend(current.dependencies)
    return False


def blocking_on_the_loop(dependant: Dependant, where: str) -> list[str]:
    """Every coroutine in a route's dependency tree that would use the database."""
    found: list[str] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        if runs_on_event_loop(current.call) and uses_session(current):
            found.append(f"{where}: {getattr(current.call, '__qualname__', current.call)}")
        stack.extend(current.dependencies)
    return found


def test_no_coroutine_route_or_dependency_uses_the_database_session() -> None:
    routes = all_routes(create_app())
    assert len(routes) > 30
    found = [
        problem
        for route in routes
        for problem in blocking_on_the_loop(
            route.dependant, f"{sorted(route.methods)} {route.path}"
        )
    ]
    assert found == [], "make these plain `def` (parse forms with app.core.deps.PostedForm)"


def test_no_route_endpoint_is_a_coroutine() -> None:
    # Stricter still: an async endpoint could reach the database without the dependency
    # (get_engine(), a service opening its own session); only dependencies that read the
    # request (PostedForm) may be async.
    routes = all_routes(create_app())
    asynchronous = sorted(
        f"{sorted(r.methods)} {r.path}" for r in routes if runs_on_event_loop(r.endpoint)
    )
    assert asynchronous == []


def test_the_check_recognises_an_async_route_on_the_session() -> None:
    probe = FastAPI()

    @probe.post("/async")
    async def _async_route(session: SessionDep) -> None:
        del session

    @probe.post("/sync")
    def _sync_route(session: SessionDep, form: PostedForm) -> None:
        del session, form

    problems = {r.path: blocking_on_the_loop(r.dependant, r.path) for r in all_routes(probe)}
    assert problems["/async"] and problems["/sync"] == []
