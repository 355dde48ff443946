"""What a person sends to close a follow-up, shared by the pages and the JSON API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field

from app.core.text import OneLineText


class FollowUpDone(BaseModel):
    """Mark a follow-up done; `version` is the follow-up's version."""

    version: int
    done_at: AwareDatetime | None = Field(
        default=None,
        description="When the work was done, with a time-zone offset (now when left out); "
        "never in the future.",
    )


class FollowUpNotNeeded(BaseModel):
    """Mark a follow-up not needed, with why; `version` is the follow-up's version."""

    version: int
    reason: OneLineText = Field(min_length=1, max_length=500)


class FollowUpPublic(BaseModel):
    """A follow-up: the action a risk found in a checklist calls for, and what became of it."""

    id: int
    pathway_id: int
    instance_id: int
    rule_id: str
    risk: str
    action: str
    help: str
    owner: str
    team_id: int
    status: str = Field(description="open, missed (open past its window), done, not_needed "
                        "or cancelled")  # fmt: skip
    window_start: datetime
    window_end: datetime
    due_date: date
    done_at: datetime | None
    recorded_at: datetime | None
    not_needed_reason: str | None
    version: int
