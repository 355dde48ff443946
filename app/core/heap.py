"""Settle the heap once the server has started, so garbage collection stays cheap per request.

What startup builds (imported modules, routes, SQLAlchemy mappers, pydantic schemas, templates)
lives as long as the process. CPython's full collections rescan all of it whenever enough new
objects have survived, and a large request such as a national comparison (hundreds of charts,
tens of thousands of points) leaves that many behind. On the engine benchmark those rescans were
about 0.12 s of a 0.75 s recomputation. ``gc.freeze()`` (which the Python documentation
describes for servers that fork workers) moves the objects alive at startup out of the
collector's sight; objects made later are collected as before.
"""

from __future__ import annotations

import gc

_settled = False


def settle_heap() -> bool:
    """Collect once, then freeze what is alive; only the first call in a process does anything."""
    global _settled
    if _settled:
        return False
    gc.collect()
    gc.freeze()
    _settled = True
    return True
