"""Every route declares who may use it, in one place: its access dependency."""

from __future__ import annotations

from fastapi.routing import APIRoute

from app.core.deps import access_rule_of
from app.main import create_app

UNDECLARED_BY_DESIGN = {"/api/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/static"}


def all_routes(app) -> list[APIRoute]:  # type: ignore[no-untyped-def]
    """Every API route of the application, included routers flattened."""
    found: list[APIRoute] = []
    stack = list(app.router.routes)
    while stack:
        route = stack.pop()
        if isinstance(route, APIRoute):
            found.append(route)
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            stack.extend(included.routes)
    return found


def test_every_route_declares_its_access_rule() -> None:
    app = create_app()
    routes = all_routes(app)
    assert len(routes) > 30
    undeclared = sorted(
        f"{sorted(r.methods)} {r.path}"
        for r in routes
        if r.path not in UNDECLARED_BY_DESIGN and access_rule_of(r.dependant) is None
    )
    assert undeclared == []


def test_patient_pages_are_for_nurses_and_team_members_only() -> None:
    app = create_app()
    rules = {
        (r.path, tuple(sorted(r.methods))): access_rule_of(r.dependant) for r in all_routes(app)
    }
    for (path, _methods), rule in rules.items():
        if path.startswith(("/patients", "/checklists", "/my-day")):
            assert rule is not None and rule.roles and set(rule.roles) <= {"nurse", "team"}, path


def test_variant_adoption_routes_are_for_administrators_and_settings_need_a_sign_in() -> None:
    app = create_app()
    rules = {
        (r.path, tuple(sorted(r.methods))): access_rule_of(r.dependant) for r in all_routes(app)
    }
    adoption = {k: v for k, v in rules.items() if "variant" in k[0]}
    settings = {k: v for k, v in rules.items() if k[0].endswith(("measure-settings", "/settings"))}
    assert len(adoption) == 4 and len(settings) == 4
    for (path, _methods), rule in adoption.items():
        assert rule is not None and rule.roles == ("admin",), path
    for (path, _methods), rule in settings.items():
        # the service decides per team: readers reach its aggregates, writers are on it or admin
        assert rule is not None and rule.audience == "signed in", path
