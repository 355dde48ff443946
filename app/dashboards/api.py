"""Exports of the dashboards: any chart's data as CSV, any chart as SVG or PNG, and the
comparison as JSON or CSV (small counts suppressed for those who may not see them)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.charts import render_png, render_svg
from app.core.analysis_limit import ANALYSIS
from app.core.db import utcnow
from app.core.deps import CurrentViewer, SessionDep
from app.core.i18n import _, current_language
from app.dashboards import service
from app.dashboards.comparison import TableRow, comparison, funnel_curve
from app.dashboards.specs import funnel_spec, small_multiples_spec
from app.dashboards.spreadsheet import chart_csv, comparison_csv
from app.measures.aggregate import Level
from app.measures.service import measure_series

router = APIRouter(prefix="/api/v1/exports", tags=["exports"], dependencies=[NO_PATIENT_DATA])
# "excel": the CSV a spreadsheet in the user's language opens as it is (app.dashboards.spreadsheet)
Format = Literal["csv", "excel", "json", "svg", "png"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "excel": "text/csv; charset=utf-8",
    "json": "application/json",
    "svg": "image/svg+xml",
    "png": "image/png",
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file in the format asked for",
        "content": {
            MEDIA["csv"]: {"schema": {"type": "string"}},
            MEDIA["json"]: {"schema": {"type": "object"}},
            MEDIA["svg"]: {"schema": {"type": "string"}},
            MEDIA["png"]: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    403: {"description": "Your role or teams do not reach this"},
    404: {"description": "No such measure or unit that you may see"},
    422: {"description": "What is wrong, in one sentence"},
}


def _download(body: bytes | str, fmt: str, name: str) -> Response:
    """A response that downloads as a file named after the chart."""
    suffix = "csv" if fmt == "excel" else fmt
    headers = {"Content-Disposition": f'attachment; filename="{name}.{suffix}"'}
    return Response(content=body, media_type=MEDIA[fmt], headers=headers)


def _picture(spec: dict[str, Any], fmt: str, name: str) -> Response:
    """Render a spec on the server as SVG or PNG."""
    if fmt == "svg":
        return _download(render_svg(spec), fmt, name)
    return _download(render_png(spec, scale=2), fmt, name)


def _row_json(row: TableRow) -> dict[str, Any]:
    """A comparison row as the JSON export has always written it (texts, as shown)."""
    return {
        "unit_id": row.unit_id,
        "unit_name": row.unit_name,
        "numerator": row.numerator,
        "denominator": row.denominator,
        "rate": row.rate,
        "suppressed": row.suppressed,
    }


@router.get("/charts/{measure_id}", responses=RESPONSES, dependencies=[ANALYSIS])
def export_chart(
    measure_id: str,
    session: SessionDep,
    viewer: CurrentViewer,
    level: Level = Level.team,
    unit_id: int = Query(default=0, description="Team, organisation or network id (0 for all)."),
    period: Literal["week", "month"] | None = None,
    start: date | None = None,
    end: date | None = None,
    format: Format = "csv",
) -> Response:
    """Download one chart: its data as CSV (``excel``: for a spreadsheet in your language),
    its Vega-Lite spec as JSON, or a picture (SVG, PNG)."""
    chart = measure_series(
        session,
        viewer=viewer,
        measure_id=measure_id,
        level=level,
        unit_id=unit_id,
        period=period,
        start=start,
        end=end,
        now=utcnow(),
    )
    name = f"{measure_id}-{level.value}-{chart.unit_id}-{chart.period}"
    if format in ("csv", "excel"):
        return _download(chart_csv(chart, excel=format == "excel"), format, name)
    spec = service.spec_for(chart, width=640, height=320)
    if format == "json":
        return JSONResponse(spec)
    return _picture(spec, format, name)


@router.get("/comparison/{measure_id}", responses=RESPONSES, dependencies=[ANALYSIS])
def export_comparison(
    measure_id: str,
    session: SessionDep,
    viewer: CurrentViewer,
    level: str = "organisation",
    period: Literal["week", "month"] | None = None,
    start: date | None = None,
    end: date | None = None,
    format: Format = "json",
    view: Literal["multiples", "funnel"] = "multiples",
) -> Response:
    """Download a comparison: its table as JSON or CSV (``excel``: for a spreadsheet), or its
    charts as a picture."""
    found = comparison(
        session,
        viewer=viewer,
        measure_id=measure_id,
        level=level,
        period=period,
        start=start,
        end=end,
        now=utcnow(),
    )
    name = f"{measure_id}-{found.level.value}-{found.period}"
    if format == "json":
        return JSONResponse(
            {
                "measure": found.info.model_dump(),
                "level": found.level.value,
                "period": found.period,
                "quarter": found.quarter,
                "rows": [_row_json(row) for row in found.rows],
                "funnel": found.funnel,
                "funnel_hidden": found.funnel_hidden,
            }
        )
    if format in ("csv", "excel"):
        return _download(comparison_csv(found.rows, excel=format == "excel"), format, name)
    language = current_language()
    if view == "funnel":
        if not found.funnel or found.pooled is None:
            raise HTTPException(
                status_code=422, detail=_("There is no funnel plot for this measure and quarter.")
            )
        curve = funnel_curve(found.pooled, max(u["n"] for u in found.funnel))
        spec = funnel_spec(
            found.funnel, curve, pooled=found.pooled, title=found.info.title, language=language
        )
    else:
        y_title = "%" if found.info.type == "proportion" else found.info.title
        spec = small_multiples_spec(
            found.charts, title=found.info.title, y_title=y_title, language=language
        )
    return _picture(spec, format, f"{name}-{view}")
