"""Which rule set a unit's charts are read by: its learning network's choice (DESIGN §12).

Teams and organisations follow their network; a chart of the whole country, and a network
that has not chosen, use ``anhoej``. ``app.charts.rule_set_for_chart`` then says what a
given chart type can use (the Making Data Count rules are for SPC charts only).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.org.models import ChartRules, LearningNetwork, Organisation, Team

DEFAULT_RULES = ChartRules.anhoej.value


def network_chart_rules(session: Session, *, network_id: int) -> str:
    """The rule set a network has chosen (``anhoej`` for an unknown network)."""
    network = session.get(LearningNetwork, network_id)
    return network.chart_rules if network is not None else DEFAULT_RULES


def unit_chart_rules(session: Session, *, level: str, unit_id: int) -> str:
    """The rule set of a team's, organisation's or network's charts (others: ``anhoej``)."""
    return units_chart_rules(session, level=level, unit_ids=[unit_id])[unit_id]


def units_chart_rules(session: Session, *, level: str, unit_ids: Sequence[int]) -> dict[int, str]:
    """The rule set of each of some units' charts, in one query (others: ``anhoej``)."""
    found = dict.fromkeys(unit_ids, DEFAULT_RULES)
    if level == "network":
        unit = col(LearningNetwork.id)
        statement = select(unit, LearningNetwork.chart_rules)
    elif level == "organisation":
        unit = col(Organisation.id)
        statement = select(unit, LearningNetwork.chart_rules).join(
            Organisation, col(Organisation.network_id) == col(LearningNetwork.id)
        )
    elif level == "team":
        unit = col(Team.id)
        statement = (
            select(unit, LearningNetwork.chart_rules)
            .join(Organisation, col(Organisation.network_id) == col(LearningNetwork.id))
            .join(Team, col(Team.organisation_id) == col(Organisation.id))
        )
    else:
        return found
    for unit_id, rules in session.exec(statement.where(unit.in_(list(unit_ids)))):
        found[int(unit_id or 0)] = rules
    return found
