"""The overview as CSV: one line per unit × measure, the icons in words, in the user's language.

In bokmål the file takes the form Norwegian Excel opens directly: semicolons between fields,
decimal commas and a byte-order mark; in English, commas and decimal points. Hidden values
read as on the page ("<5" or "–"); no count is ever written.
"""

from __future__ import annotations

import csv
import io

from app.core.i18n import _, current_language
from app.overview.service import Overview


def overview_csv(found: Overview) -> str:
    """The rows and cells of an overview as CSV text."""
    out = io.StringIO()
    nb = current_language() == "nb"
    if nb:
        out.write("\ufeff")
    writer = csv.writer(out, delimiter=";" if nb else ",", lineterminator="\r\n")
    writer.writerow(
        [_("Unit"), _("Measure"), _("Period"), _("Value"), _("Variation"), _("Assurance")]
    )
    for row in found.rows:
        for column in found.columns:
            cell = row.cells.get(column.id)
            if cell is None:
                continue
            if not cell.followed:
                writer.writerow([row.unit.name, column.title, "", _("Not followed"), "", ""])
                continue
            writer.writerow(
                [
                    row.unit.name,
                    column.title,
                    cell.period,
                    cell.value_text.replace("\u00a0", " "),
                    cell.variation_text,
                    cell.assurance_text,
                ]
            )
    return out.getvalue()
