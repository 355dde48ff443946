"""Signal explanations are written in the user's language, never English in bokmål."""

from __future__ import annotations

import pytest

from app.charts import SeriesPoint, compute_chart
from app.charts import findings as text
from app.core.i18n import gettext_in

MESSAGE_TABLES = [
    text.LONG_RUN_MESSAGES,
    text.FEW_CROSSINGS_MESSAGES,
    text.SHIFT_MESSAGES,
    text.TREND_MESSAGES,
    text.SIGMA_MESSAGES,
    text.TWO_OF_THREE_MESSAGES,
    text.AT_LIMIT_MESSAGES,
    text.ASTRONOMICAL_MESSAGES,
]


@pytest.mark.parametrize("msgid", [msgid for table in MESSAGE_TABLES for msgid in table.values()])
def test_every_finding_message_has_a_bokmal_translation(msgid: str) -> None:
    """The messages kept in tables are extracted and translated like any other."""
    assert gettext_in("nb", msgid) != msgid


def test_a_long_run_and_a_sigma_signal_read_in_bokmal() -> None:
    """The explanation under a chart is Norwegian in the Norwegian interface."""
    values = [6, 7, 6, 7] + [1, 2, 1, 2, 1, 2, 1, 2, 1] + [7, 6, 7, 6, 7, 30]
    points = [SeriesPoint(f"2026-W{n:02d}", v) for n, v in enumerate(values, start=1)]
    run = compute_chart(points[:-1]).findings()[0]
    assert run.text_in("nb") == (
        "Uvanlig lang serie under medianen: 9 punkter på rad fra 2026-W05 til 2026-W13 "
        "(flere enn 7 er uvanlig)."
    )
    sigma = [f for f in compute_chart(points, chart="c").findings() if f.kind == "sigma"]
    assert sigma[0].text_in("nb") == "Punkt over øvre kontrollgrense: 2026-W19."
