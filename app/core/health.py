"""Liveness and readiness for load balancers and the demo."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.audit.patient_data import NO_PATIENT_DATA
from app.core.db import get_engine
from app.core.deps import PUBLIC

router = APIRouter(tags=["health"], dependencies=[NO_PATIENT_DATA])


@router.get("/healthz", dependencies=[PUBLIC])
def read_health() -> JSONResponse:
    """Report whether the application and its database answer."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "schema": revision})
