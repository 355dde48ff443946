"""What the list behind a point calls an item and its status, in the user's language."""

from __future__ import annotations

from app.checklists.forms import status_label
from app.checklists.in_use import checklist_title
from app.core.i18n import _, current_language
from app.risks.rules import risk_rules_in_use


def item_what(what: str) -> str:
    """The kind of a counted item: a checklist's title, or what a stored item follows."""
    labels = {
        "hospital_discharge": _("Discharge, followed for readmission"),
        "what_matters": _("“What matters” conversation"),
        "goal_rerating": _("Re-rating of a goal"),
        "psfs_change": _("PSFS re-rating"),
        "checklist_bundle": _("Lists of the pathway, on time"),
    }
    if what in labels:
        return labels[what]
    rule = risk_rules_in_use().get(what)
    return rule.action.get(current_language()) if rule else checklist_title(what)


def item_status(status: str) -> str:
    """The status of a counted item: a checklist status, or how a stored item was decided."""
    labels = {
        "open": _("Open"),
        "done": _("Done"),
        "not_needed": _("Not needed"),
        "readmitted": _("Readmitted"),
        "not_readmitted": _("Not readmitted"),
        "documented": _("Documented"),
        "rerated": _("Re-rated"),
        "improved": _("Improved"),
        "not_improved": _("Not improved"),
        "bundle_complete": _("Enough lists on time"),
        "bundle_incomplete": _("Too few lists on time"),
    }
    return labels[status] if status in labels else status_label(status)
