"""The started server freezes its startup heap once, so full collections skip it."""

from __future__ import annotations

import gc
import weakref

import pytest
from fastapi.testclient import TestClient

from app.core import heap


@pytest.fixture()
def unsettled(monkeypatch):  # type: ignore[no-untyped-def]
    """A process whose heap has not been settled yet (undone afterwards)."""
    gc.unfreeze()
    monkeypatch.setattr(heap, "_settled", False)
    yield
    gc.unfreeze()


def test_starting_the_application_freezes_the_heap_once(app, unsettled) -> None:  # type: ignore[no-untyped-def]
    assert gc.get_freeze_count() == 0
    with TestClient(app):
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # imports, routes and schemas: far more than a handful
        assert heap.settle_heap() is False  # a second start in the same process does nothing
        assert gc.get_freeze_count() <= frozen  # (frozen objects may still die of old age)


def test_objects_made_after_settling_are_still_collected(unsettled) -> None:  # type: ignore[no-untyped-def]
    assert heap.settle_heap() is True

    class Node:
        partner: object = None

    first, second = Node(), Node()
    first.partner, second.partner = second, first  # a cycle: only the collector frees it
    watched = weakref.ref(first)
    del first, second
    assert watched() is not None  # reference counting alone cannot free a cycle
    gc.collect()
    assert watched() is None


def test_a_started_worker_has_read_the_catalogue_and_takes_short_thread_turns(app) -> None:  # type: ignore[no-untyped-def]
    import sys

    from app.main import THREAD_TURN_SECONDS
    from app.measures.catalogue import measures_in_use

    default = sys.getswitchinterval()
    measures_in_use.cache_clear()
    try:
        with TestClient(app):
            assert measures_in_use.cache_info().currsize == 1  # read before any request
            assert sys.getswitchinterval() == pytest.approx(THREAD_TURN_SECONDS)
    finally:
        sys.setswitchinterval(default)
