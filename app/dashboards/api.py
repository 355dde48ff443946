"""Exports of the dashboards: any chart's data as CSV, any chart as SVG or PNG, and the
comparison as JSON or CSV (small counts suppressed for those who may not see them)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from app.audit.patient_data import NO_PATIENT_DATA
from app.charts import render_png, render_svg
from app.core.analysis_limit import ANALYSIS
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.deps import CurrentViewer, SessionDep
from app.core.i18n import _, current_language
from app.dashboards import service
from app.dashboards.comparison import comparison, funnel_curve
from app.dashboards.specs import funnel_spec, small_multiples_spec
from app.measures.aggregate import Level
from app.measures.chart_data import MeasureChart
from app.measures.service import measure_series

router = APIRouter(prefix="/api/v1/exports", tags=["exports"], dependencies=[NO_PATIENT_DATA])
Format = Literal["csv", "json", "svg", "png"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
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
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    return Response(content=body, media_type=MEDIA[fmt], headers=headers)


def _picture(spec: dict[str, Any], fmt: str, name: str) -> Response:
    """Render a spec on the server as SVG or PNG."""
    if fmt == "svg":
        return _download(render_svg(spec), fmt, name)
    return _download(render_png(spec, scale=2), fmt, name)


def chart_csv(chart: MeasureChart) -> str:
    """The data behind one chart, one row per period; suppressed counts written as "<5"."""
    hidden = f"<{get_settings().suppression_threshold}"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "unit",
            "period",
            "numerator",
            "denominator",
            "value",
            "centre",
            "lower",
            "upper",
            "signal",
            "incomplete",
            "suppressed",
        ]
    )
    for p in chart.points:
        writer.writerow(
            [
                chart.unit_name,
                p.period,
                hidden if p.suppressed else ("" if p.numerator is None else f"{p.numerator:g}"),
                hidden
                if p.suppressed and chart.measure.type != "count"
                else ("" if p.denominator is None else f"{p.denominator:g}"),
                "" if p.value is None else round(p.value, 3),
                "" if p.centre is None else round(p.centre, 3),
                "" if p.lower is None else round(p.lower, 3),
                "" if p.upper is None else round(p.upper, 3),
                "yes" if p.signals or p.sigma_signal else "",
                "yes" if p.incomplete else "",
                "yes" if p.suppressed else "",
            ]
        )
    return out.getvalue()


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
    """Download one chart: its data as CSV, its Vega-Lite spec as JSON, or a picture (SVG, PNG)."""
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
    if format == "csv":
        return _download(chart_csv(chart), "csv", name)
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
    """Download a comparison: its table as JSON or CSV, or its charts as a picture."""
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
                "rows": [row.__dict__ for row in found.rows],
                "funnel": found.funnel,
                "funnel_hidden": found.funnel_hidden,
            }
        )
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["unit", "numerator", "denominator", "rate", "suppressed"])
        for row in found.rows:
            writer.writerow(
                [
                    row.unit_name,
                    row.numerator,
                    row.denominator,
                    row.rate,
                    "yes" if row.suppressed else "",
                ]
            )
        return _download(out.getvalue(), "csv", name)
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
