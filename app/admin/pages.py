"""What every admin page shares: the guard, form parsing and the answer after a change."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from app.admin.directory import ROLE_SCOPES, AdminError, AdminNotFound, Directory, Reach
from app.admin.forms import field_errors
from app.core.deps import require_roles
from app.org.models import Role
from app.org.scope import Viewer

Admin = Annotated[Viewer, Depends(require_roles(Role.admin.value))]


def parse(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """Validate a form: the model, or None and a message per field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def done(request: Request, url: str) -> Response:
    """After a change: 303 to the next page, or HX-Redirect for htmx."""
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def refusal(exc: AdminError | AdminNotFound) -> dict[str, str]:
    """A service's refusal as the form's message."""
    return {"form": str(exc)}


def scope_choices(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """Every scope the viewer may give roles on, as (label, name) for a select."""
    directory, reach = Directory(session), Reach.of(viewer)
    choices = []
    for kind, table in (
        ("network", directory.networks),
        ("organisation", directory.organisations),
        ("team", directory.teams),
    ):
        for scope_id in table:
            ref = directory.ref(kind, scope_id)
            if reach.manages(ref):
                choices.append((ref.label, ref.name))
    return sorted(choices, key=lambda c: (c[0].split(":")[0] != "network", c[1]))


ROLES = tuple(ROLE_SCOPES)
