"""What people type about patients and events: one model per form, shared by pages and API.

The limits are the column lengths in ``app.pathways.models``; control characters are refused
by the shared text types (``app.core.text``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.core.text import MultiLineText, OneLineText


class PatientText(BaseModel):
    """A patient's pseudonymous label and optional local reference."""

    label: Annotated[OneLineText, Field(min_length=2, max_length=40, examples=["K.O. 1938"])]
    local_reference: Annotated[OneLineText | None, Field(max_length=40)] = None


class EventNote(BaseModel):
    """The optional note on an event."""

    note: Annotated[MultiLineText | None, Field(max_length=1000)] = None


class CancelReason(BaseModel):
    """Why an event is cancelled."""

    reason: Annotated[MultiLineText, Field(max_length=500)]


class ErasureConfirmation(BaseModel):
    """The patient's label, typed to confirm an erasure."""

    confirm_label: Annotated[OneLineText, Field(max_length=40)]
