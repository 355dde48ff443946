"""The FHIR R4 read API under /fhir/R4: read and search-type, JSON as application/fhir+json.

Authentication is the signed-in session cookie, as for the pages. What each search accepts is
in ``capability`` (and the CapabilityStatement); paging in ``search``. Errors are
OperationOutcomes (``outcome``), a bad search parameter a 400 naming it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.audit.patient_data import NO_PATIENT_DATA, PATIENT_DATA
from app.core.analysis_limit import ANALYSIS
from app.core.db import utcnow
from app.core.deps import PUBLIC, CurrentViewer, SessionDep, require_roles
from app.fhir import service
from app.fhir.capability import capability_statement
from app.fhir.clinical import patient_resource
from app.fhir.definitions import measure_resource
from app.fhir.organisations import visible_organization, visible_organizations
from app.fhir.outcome import FhirResponse
from app.fhir.questionnaires import questionnaire, questionnaire_entries
from app.fhir.report_search import measure_reports
from app.fhir.search import SearchRequest, bundle, named, searching, searchset
from app.gp.fhir import gp_summary_bundle
from app.measures.catalogue import measures_in_use
from app.org.models import Role
from app.org.scope import Viewer
from app.pathways.service import list_patients

router = APIRouter(prefix="/fhir/R4", tags=["fhir"], include_in_schema=False)
PatientWorker = Annotated[Viewer, Depends(require_roles(Role.nurse.value, Role.team.value))]
PUBLISHED = "2026-11-30"
# Declared so that the route's signature shows it; ``search`` checks its value.
PatientParam = Query(default=None, description="Patient/<id> or <id>")


@router.get("/metadata", dependencies=[PUBLIC, NO_PATIENT_DATA])
def read_capability_statement() -> FhirResponse:
    """What this server supports: resources, interactions, search parameters."""
    return FhirResponse(capability_statement(PUBLISHED))


@router.get("/Questionnaire", dependencies=[NO_PATIENT_DATA])
def search_questionnaires(
    request: Request, _viewer: CurrentViewer, search: SearchRequest = searching("Questionnaire")
) -> FhirResponse:
    """Every checklist version and local variant, or those with one canonical URL."""
    url = search.one("url")
    entries = sorted(questionnaire_entries().values(), key=lambda e: e.resource_id)
    return searchset(request, search, [questionnaire(e) for e in entries if url in (None, e.url)])


@router.get("/Questionnaire/{questionnaire_id}", dependencies=[NO_PATIENT_DATA])
def read_questionnaire(questionnaire_id: str, _viewer: CurrentViewer) -> FhirResponse:
    """One checklist version (``<id>-v<version>``) or local variant."""
    entry = questionnaire_entries().get(questionnaire_id)
    if entry is None:
        raise service.not_found()
    return FhirResponse(questionnaire(entry))


@router.get("/Measure", dependencies=[NO_PATIENT_DATA])
def search_measures(
    request: Request, _viewer: CurrentViewer, search: SearchRequest = searching("Measure")
) -> FhirResponse:
    """Every measure of the catalogue."""
    measures = sorted(measures_in_use().all(), key=lambda m: m.id)
    return searchset(request, search, [measure_resource(m) for m in measures])


@router.get("/Measure/{measure_id}", dependencies=[NO_PATIENT_DATA])
def read_measure(measure_id: str, _viewer: CurrentViewer) -> FhirResponse:
    """One measure of the catalogue."""
    if measure_id not in measures_in_use():
        raise service.not_found()
    return FhirResponse(measure_resource(measures_in_use().get(measure_id)))


@router.get("/MeasureReport", dependencies=[ANALYSIS, NO_PATIENT_DATA])
def search_measure_reports(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    measure: str | None = Query(default=None),
    subject: str | None = Query(default=None),
    search: SearchRequest = searching("MeasureReport"),
) -> FhirResponse:
    """A measure's summary reports per period for one unit, or every unit you may see."""
    reports = measure_reports(
        session,
        viewer=viewer,
        measure=named("measure", measure),
        subject=subject,
        periods=search.dates.get("period", []),
        now=utcnow(),
    )
    return searchset(request, search, reports)


@router.get("/Organization", dependencies=[NO_PATIENT_DATA])
def search_organizations(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    search: SearchRequest = searching("Organization"),
) -> FhirResponse:
    """The teams you reach, their organisations and learning networks."""
    return searchset(request, search, visible_organizations(session, viewer=viewer))


@router.get("/Organization/{organization_id}", dependencies=[NO_PATIENT_DATA])
def read_organization(
    organization_id: str, session: SessionDep, viewer: CurrentViewer
) -> FhirResponse:
    """One network (``network-<id>``), organisation (``org-<id>``) or team (``team-<id>``)."""
    found = visible_organization(session, viewer=viewer, organization_id=organization_id)
    if found is None:
        raise service.not_found()
    return FhirResponse(found)


@router.get("/Patient", dependencies=[PATIENT_DATA])
def search_patients(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    search: SearchRequest = searching("Patient"),
) -> FhirResponse:
    """The patients of your teams by label, paged in the patient list's order."""
    rows, total = list_patients(
        session,
        viewer=viewer,
        query=search.one("name") or "",
        limit=search.count,
        offset=search.offset,
    )
    page = [patient_resource(patient) for patient, _open in rows]
    return bundle(request, search, page, total)


@router.get("/Patient/{patient_id}", dependencies=[PATIENT_DATA])
def read_patient(patient_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One patient of your teams."""
    return FhirResponse(service.read_patient(session, viewer=viewer, patient_id=patient_id))


@router.get("/EpisodeOfCare", dependencies=[PATIENT_DATA])
def search_episodes(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    patient: str | None = PatientParam,
    search: SearchRequest = searching("EpisodeOfCare"),
) -> FhirResponse:
    """A patient's pathways."""
    found = service.search_episodes(session, viewer=viewer, patient=named("patient", patient))
    return searchset(request, search, found)


@router.get("/EpisodeOfCare/{pathway_id}", dependencies=[PATIENT_DATA])
def read_episode(pathway_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One pathway of your teams."""
    return FhirResponse(service.read_episode(session, viewer=viewer, pathway_id=pathway_id))


@router.get("/EpisodeOfCare/{pathway_id}/$gp-summary", dependencies=[PATIENT_DATA])
def read_gp_summary(
    pathway_id: str, request: Request, session: SessionDep, viewer: PatientWorker
) -> FhirResponse:
    """The GP review summary (HPH 3) of a pathway as a collection Bundle (nurses and team)."""
    base = str(request.base_url).rstrip("/") + "/fhir/R4"
    return FhirResponse(
        gp_summary_bundle(session, viewer=viewer, pathway_id=service.row_id(pathway_id), base=base)
    )


@router.get("/Task", dependencies=[PATIENT_DATA])
def search_tasks(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    patient: str | None = PatientParam,
    search: SearchRequest = searching("Task"),
) -> FhirResponse:
    """Every checklist scheduled on a patient's pathways, by due date."""
    found = service.search_instances(
        session, viewer=viewer, patient=named("patient", patient), kind="Task"
    )
    return searchset(request, search, [task for task, _response in found])


@router.get("/Task/{instance_id}", dependencies=[PATIENT_DATA])
def read_task(instance_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One scheduled checklist with its due window."""
    task, _response = service.read_instance(session, viewer=viewer, instance_id=instance_id)
    return FhirResponse(task)


@router.get("/QuestionnaireResponse", dependencies=[PATIENT_DATA])
def search_responses(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    patient: str | None = PatientParam,
    search: SearchRequest = searching("QuestionnaireResponse"),
) -> FhirResponse:
    """A patient's filled checklists, by due date."""
    found = service.search_instances(
        session, viewer=viewer, patient=named("patient", patient), kind="QuestionnaireResponse"
    )
    return searchset(request, search, [r for _task, r in found if r is not None])


@router.get("/QuestionnaireResponse/{instance_id}", dependencies=[PATIENT_DATA])
def read_response(instance_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One filled checklist (404 while nothing has been answered)."""
    _task, response = service.read_instance(session, viewer=viewer, instance_id=instance_id)
    if response is None:
        raise service.not_found()
    return FhirResponse(response)


@router.get("/Goal", dependencies=[PATIENT_DATA])
def search_goals(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    patient: str | None = PatientParam,
    search: SearchRequest = searching("Goal"),
) -> FhirResponse:
    """A patient's PSFS goals."""
    found = service.search_goals(session, viewer=viewer, patient=named("patient", patient))
    return searchset(request, search, found)


@router.get("/Goal/{goal_id}", dependencies=[PATIENT_DATA])
def read_goal(goal_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One PSFS goal, in the patient's own words."""
    return FhirResponse(service.read_goal(session, viewer=viewer, goal_id=goal_id))


@router.get("/Observation", dependencies=[PATIENT_DATA])
def search_observations(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    patient: str | None = PatientParam,
    search: SearchRequest = searching("Observation"),
) -> FhirResponse:
    """Every PSFS rating of a patient's goals."""
    found = service.search_observations(session, viewer=viewer, patient=named("patient", patient))
    return searchset(request, search, found)


@router.get("/Observation/{rating_id}", dependencies=[PATIENT_DATA])
def read_observation(rating_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One PSFS rating (0–10) with its scale's direction."""
    return FhirResponse(service.read_observation(session, viewer=viewer, rating_id=rating_id))
