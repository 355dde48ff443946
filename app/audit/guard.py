"""The audit log is append-only: the application refuses to change or delete its rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.audit.models import AuditEntry


class AuditLogIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or delete an audit entry."""


def _refuse(*_args: Any) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


event.listen(AuditEntry, "before_update", _refuse)
event.listen(AuditEntry, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    """Bulk UPDATE or DELETE statements aimed at the audit log are refused too."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEntry for mapper in state.all_mappers
    ):
        raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")
