"""Which rule set a unit's charts are read by: its learning network's choice (DESIGN §12).

Teams and organisations follow their network; a chart of the whole country, and a network
that has not chosen, use ``anhoej``. ``app.charts.rule_set_for_chart`` then says what a
given chart type can use (the Making Data Count rules are for SPC charts only).
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.org.models import ChartRules, LearningNetwork, Organisation, Team

DEFAULT_RULES = ChartRules.anhoej.value


def network_chart_rules(session: Session, *, network_id: int) -> str:
    """The rule set a network has chosen (``anhoej`` for an unknown network)."""
    network = session.get(LearningNetwork, network_id)
    return network.chart_rules if network is not None else DEFAULT_RULES


def unit_chart_rules(session: Session, *, level: str, unit_id: int) -> str:
    """The rule set of a team's, organisation's or network's charts (others: ``anhoej``)."""
    if level == "network":
        return network_chart_rules(session, network_id=unit_id)
    if level == "organisation":
        statement = (
            select(LearningNetwork.chart_rules)
            .join(Organisation, Organisation.network_id == LearningNetwork.id)  # type: ignore[arg-type]
            .where(Organisation.id == unit_id)
        )
    elif level == "team":
        statement = (
            select(LearningNetwork.chart_rules)
            .join(Organisation, Organisation.network_id == LearningNetwork.id)  # type: ignore[arg-type]
            .join(Team, Team.organisation_id == Organisation.id)  # type: ignore[arg-type]
            .where(Team.id == unit_id)
        )
    else:
        return DEFAULT_RULES
    return session.exec(statement).first() or DEFAULT_RULES
