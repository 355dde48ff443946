"""The FHIR R4 read API under /fhir/R4: read and search-type, JSON as application/fhir+json.

Authentication is the signed-in session cookie, as for the pages; organisation-bound API tokens
for systems are a later step (DESIGN.md §11). Errors are OperationOutcomes (app.fhir.outcome).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from app.audit.patient_data import NO_PATIENT_DATA, PATIENT_DATA
from app.core.db import utcnow
from app.core.deps import PUBLIC, CurrentViewer, SessionDep
from app.core.i18n import _
from app.fhir import service
from app.fhir.definitions import SEARCH_PARAMS, capability_statement, measure_resource
from app.fhir.organisations import visible_organization, visible_organizations
from app.fhir.outcome import FhirProblem, FhirResponse, search_params, searchset
from app.fhir.questionnaires import questionnaire, questionnaire_entries
from app.fhir.reports import measure_reports
from app.fhir.updated import last_updated_filter
from app.measures.catalogue import measures_in_use

router = APIRouter(prefix="/fhir/R4", tags=["fhir"], include_in_schema=False)
PUBLISHED = "2026-11-30"
PatientParam = Query(default=None, max_length=64, description="Patient/<id> or <id>")


def _params(kind: str):  # type: ignore[no-untyped-def]
    return Depends(search_params(*SEARCH_PARAMS[kind]))


def _required(patient: str | None) -> str:
    """The patient a search of patient data must name."""
    if not patient:
        raise FhirProblem(400, _("Search by patient: add ?patient=<id>."))
    return patient


@router.get("/metadata", dependencies=[PUBLIC, NO_PATIENT_DATA])
def read_capability_statement() -> FhirResponse:
    """What this server supports: resources, read and search-type, search parameters."""
    return FhirResponse(capability_statement(PUBLISHED))


@router.get("/Questionnaire", dependencies=[NO_PATIENT_DATA, _params("Questionnaire")])
def search_questionnaires(
    request: Request, _viewer: CurrentViewer, url: str | None = Query(default=None, max_length=300)
) -> FhirResponse:
    """Every checklist version and local variant, or those with one canonical URL."""
    entries = [e for e in questionnaire_entries().values() if url in (None, e.url)]
    return searchset(request, [questionnaire(e) for e in entries])


@router.get("/Questionnaire/{questionnaire_id}", dependencies=[NO_PATIENT_DATA])
def read_questionnaire(questionnaire_id: str, _viewer: CurrentViewer) -> FhirResponse:
    """One checklist version (``<id>-v<version>``) or local variant."""
    entry = questionnaire_entries().get(questionnaire_id)
    if entry is None:
        raise service.not_found()
    return FhirResponse(questionnaire(entry))


@router.get("/Measure", dependencies=[NO_PATIENT_DATA, _params("Measure")])
def search_measures(request: Request, _viewer: CurrentViewer) -> FhirResponse:
    """Every measure of the catalogue."""
    return searchset(request, [measure_resource(m) for m in measures_in_use().all()])


@router.get("/Measure/{measure_id}", dependencies=[NO_PATIENT_DATA])
def read_measure(measure_id: str, _viewer: CurrentViewer) -> FhirResponse:
    """One measure of the catalogue."""
    if measure_id not in measures_in_use():
        raise service.not_found()
    return FhirResponse(measure_resource(measures_in_use().get(measure_id)))


@router.get("/MeasureReport", dependencies=[NO_PATIENT_DATA, _params("MeasureReport")])
def search_measure_reports(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    measure: str | None = Query(default=None, max_length=300),
    subject: str | None = Query(default=None, max_length=100),
) -> FhirResponse:
    """A measure for one team or organisation you may see: one summary report per period."""
    if not measure or not subject:
        raise FhirProblem(400, _("Search by measure and subject (Organization/team-<id>)."))
    reports = measure_reports(
        session,
        viewer=viewer,
        measure_id=measure.rsplit("/", 1)[-1],
        subject=subject,
        now=utcnow(),
    )
    return searchset(request, reports)


@router.get("/Organization", dependencies=[NO_PATIENT_DATA, _params("Organization")])
def search_organizations(
    request: Request, session: SessionDep, viewer: CurrentViewer
) -> FhirResponse:
    """The teams you reach and their organisations."""
    return searchset(request, visible_organizations(session, viewer=viewer))


@router.get("/Organization/{organization_id}", dependencies=[NO_PATIENT_DATA])
def read_organization(
    organization_id: str, session: SessionDep, viewer: CurrentViewer
) -> FhirResponse:
    """One organisation (``org-<id>``) or team (``team-<id>``) you reach."""
    found = visible_organization(session, viewer=viewer, organization_id=organization_id)
    if found is None:
        raise service.not_found()
    return FhirResponse(found)


@router.get("/Patient", dependencies=[PATIENT_DATA, _params("Patient")])
def search_patients(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    name: str = Query(default="", max_length=100),
) -> FhirResponse:
    """The patients of your teams, found by label or local reference if a name is given."""
    return searchset(request, service.search_patients(session, viewer=viewer, name=name))


@router.get("/Patient/{patient_id}", dependencies=[PATIENT_DATA])
def read_patient(patient_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One patient of your teams."""
    return FhirResponse(service.read_patient(session, viewer=viewer, patient_id=patient_id))


@router.get("/EpisodeOfCare", dependencies=[PATIENT_DATA, _params("EpisodeOfCare")])
def search_episodes(
    request: Request, session: SessionDep, viewer: CurrentViewer, patient: str | None = PatientParam
) -> FhirResponse:
    """A patient's pathways."""
    found = service.search_episodes(session, viewer=viewer, patient=_required(patient))
    return searchset(request, found)


@router.get("/EpisodeOfCare/{pathway_id}", dependencies=[PATIENT_DATA])
def read_episode(pathway_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One pathway of your teams."""
    return FhirResponse(service.read_episode(session, viewer=viewer, pathway_id=pathway_id))


@router.get("/Task", dependencies=[PATIENT_DATA, _params("Task")])
def search_tasks(
    request: Request, session: SessionDep, viewer: CurrentViewer, patient: str | None = PatientParam
) -> FhirResponse:
    """Every checklist scheduled on a patient's pathways."""
    found = service.search_instances(
        session, viewer=viewer, patient=_required(patient), kind="Task"
    )
    return searchset(request, [task for task, _response in found])


@router.get("/Task/{instance_id}", dependencies=[PATIENT_DATA])
def read_task(instance_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One scheduled checklist with its due window."""
    task, _response = service.read_instance(session, viewer=viewer, instance_id=instance_id)
    return FhirResponse(task)


@router.get("/QuestionnaireResponse", dependencies=[PATIENT_DATA, _params("QuestionnaireResponse")])
def search_responses(
    request: Request,
    session: SessionDep,
    viewer: CurrentViewer,
    patient: str | None = PatientParam,
    last_updated: list[str] = Query(default=[], alias="_lastUpdated", max_length=2),
) -> FhirResponse:
    """A patient's filled checklists, optionally only those changed in a period."""
    keep = last_updated_filter(last_updated)
    found = service.search_instances(
        session, viewer=viewer, patient=_required(patient), kind="QuestionnaireResponse"
    )
    responses = [r for _task, r in found if r is not None and keep(r)]
    return searchset(request, responses)


@router.get("/QuestionnaireResponse/{instance_id}", dependencies=[PATIENT_DATA])
def read_response(instance_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One filled checklist (404 while nothing has been answered)."""
    _task, response = service.read_instance(session, viewer=viewer, instance_id=instance_id)
    if response is None:
        raise service.not_found()
    return FhirResponse(response)


@router.get("/Goal", dependencies=[PATIENT_DATA, _params("Goal")])
def search_goals(
    request: Request, session: SessionDep, viewer: CurrentViewer, patient: str | None = PatientParam
) -> FhirResponse:
    """A patient's PSFS goals."""
    found = service.search_goals(session, viewer=viewer, patient=_required(patient))
    return searchset(request, found)


@router.get("/Goal/{goal_id}", dependencies=[PATIENT_DATA])
def read_goal(goal_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One PSFS goal, in the patient's own words."""
    return FhirResponse(service.read_goal(session, viewer=viewer, goal_id=goal_id))


@router.get("/Observation", dependencies=[PATIENT_DATA, _params("Observation")])
def search_observations(
    request: Request, session: SessionDep, viewer: CurrentViewer, patient: str | None = PatientParam
) -> FhirResponse:
    """Every PSFS rating of a patient's goals."""
    found = service.search_observations(session, viewer=viewer, patient=_required(patient))
    return searchset(request, found)


@router.get("/Observation/{rating_id}", dependencies=[PATIENT_DATA])
def read_observation(rating_id: str, session: SessionDep, viewer: CurrentViewer) -> FhirResponse:
    """One PSFS rating (0–10) with its scale's direction."""
    return FhirResponse(service.read_observation(session, viewer=viewer, rating_id=rating_id))
