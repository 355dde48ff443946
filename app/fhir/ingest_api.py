"""``POST /fhir/R4/``: a sending system's Bundle of Encounters, signed with its API token.

Only an ``Authorization: Bearer`` token opens this endpoint; a person's session cookie is never
looked at. Answers are in the language of ``Accept-Language`` when the server has it, English
otherwise (a system has no language of its own); every refusal is an OperationOutcome with a
4xx status and the place of the problem, and is answered without rolling back, so that the
token's use (or the refused attempt) stays in the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.audit.patient_data import PATIENT_DATA
from app.core.db import utcnow
from app.core.deps import PUBLIC, SessionDep, client_address
from app.core.i18n import LANGUAGES, _, set_language
from app.fhir.ingest_bundle import import_bundle, issue, outcome
from app.fhir.ingest_source import source_for
from app.fhir.outcome import FhirResponse
from app.fhir.tokens import TokenRefused, authenticate, mark_used

router = APIRouter(prefix="/fhir/R4", tags=["fhir"], include_in_schema=False)
MAX_BODY = 20_000_000


def _language(header: str | None) -> str:
    """The first language of Accept-Language the server speaks, English otherwise."""
    for part in (header or "").split(","):
        primary = part.split(";")[0].strip().lower().split("-")[0]
        if primary in ("no", "nn", "nb"):
            return "nb"
        if primary in LANGUAGES:
            return primary
    return "en"


async def bundle_body(request: Request) -> bytes:
    """The posted body (read on the event loop), in the requester's language from here on."""
    set_language(_language(request.headers.get("accept-language")))
    return await request.body()


BundleBody = Annotated[bytes, Depends(bundle_body)]


# PUBLIC as far as sessions go: the route checks the token itself (never a cookie).
@router.post("/", dependencies=[PUBLIC, PATIENT_DATA])
def receive_bundle(request: Request, session: SessionDep, body: BundleBody) -> FhirResponse:
    """Take a batch or transaction Bundle of hospital Encounters for the token's organisation."""
    now = utcnow()
    ip_address = client_address(request)
    try:
        token = authenticate(
            session, authorization=request.headers.get("authorization"), ip_address=ip_address
        )
    except TokenRefused as exc:
        return FhirResponse(
            outcome(issue(str(exc), "Authorization", code="login")),
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="hph-tracker"'},
        )
    source = source_for(
        session,
        organisation_id=token.organisation_id,
        name=f"api-token {token.id} ({token.name})",
        token_id=token.id,
        ip_address=ip_address,
    )
    request.state.viewer = source.viewer
    mark_used(session, token=token, viewer=source.viewer, now=now)
    if len(body) > MAX_BODY:
        problem = issue(_("The Bundle is larger than 20 MB; send it in parts."), "Bundle")
        return FhirResponse(outcome(problem), status_code=413)
    status, resource = import_bundle(session, source=source, body=body, now=now)
    return FhirResponse(resource, status_code=status)
