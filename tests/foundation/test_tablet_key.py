"""The key that keeps a user's unsent answers on a tablet is that user's alone."""

from __future__ import annotations

import base64

from app.core.hardening import tablet_key


def test_each_user_has_their_own_stable_256_bit_tablet_key() -> None:
    assert tablet_key(1) == tablet_key(1)
    assert tablet_key(1) != tablet_key(2)
    assert len(base64.b64decode(tablet_key(1))) == 32
