"""Risk rules as data: the shipped rules load, a broken file is named with its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.checklists.loader import Catalogue, CatalogueError
from app.risks.rules import load_risk_rules, risk_rules_in_use
from tests.checklists.conftest import SHIPPED_DIR


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    """The shipped checklists."""
    from app.checklists.loader import load_catalogue

    return load_catalogue(SHIPPED_DIR)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


RULE = """\
    id: {id}
    {network}title: {{nb: Fall, en: Falls}}
    action: {{nb: Fallrisikovurdering, en: Falls assessment}}
    help: {{nb: Se etter årsaker., en: Look for causes.}}
    owner: home_care
    due_window: {{ends: 14d, end_of_day: true}}
    when:
      - {{checklist: hph-2, item: fall_last_year, equals: "yes"}}
      - {when}
"""


def test_shipped_rules_name_real_items_and_cover_the_catalogue_risks() -> None:
    rules = risk_rules_in_use()
    assert {r.id for r in rules.all()} == {
        "falls",
        "nutrition",
        "medication-review",
        "pressure-ulcer",
        "home-safety",
    }
    assert {r.id for r in rules.for_checklist("ernaering", None)} == {"nutrition"}
    assert rules.get("medication-review").owner == "gp"  # type: ignore[union-attr]


def test_conditions_use_equals_in_and_at_least_on_shown_answers(shipped: Catalogue) -> None:
    rules = risk_rules_in_use()
    nutrition = rules.get("nutrition")
    assert nutrition is not None
    ernaering = shipped.get("ernaering")
    assert nutrition.met_by(ernaering, {"mst_score": 2})
    assert not nutrition.met_by(ernaering, {"mst_score": 1, "unintended_weight_loss": "no"})
    assert nutrition.met_by(ernaering, {"unintended_weight_loss": "yes"})
    assert not nutrition.met_by(ernaering, {"unintended_weight_loss": "not_relevant"})
    reconciliation = shipped.get("legemiddelsamstemming")
    review = rules.get("medication-review")
    assert review is not None
    assert review.met_by(reconciliation, {"regular_medicines": 5})
    assert not review.met_by(reconciliation, {"regular_medicines": 4})
    assert not review.met_by(shipped.get("hph-2"), {"fall_last_year": "yes"})


def test_a_network_rule_applies_only_in_its_network(tmp_path: Path, shipped: Catalogue) -> None:
    folder = _write(
        tmp_path,
        "local-falls.yaml",
        RULE.format(
            id="local-falls",
            network="network: helse-nord\n    ",
            when='{checklist: hph-4, item: falls_since_start, equals: "yes"}',
        ),
    )
    rules = load_risk_rules(folder, shipped)
    assert [r.id for r in rules.for_checklist("hph-2", "helse-nord")] == ["local-falls"]
    assert rules.for_checklist("hph-2", "helse-vest") == []
    assert rules.for_checklist("hph-2", None) == []
    # Only then does a save need to look up the team's network.
    assert rules.network_specific("hph-2") and not rules.network_specific("ernaering")


@pytest.mark.parametrize(
    ("when", "line", "message"),
    [
        ("{checklist: hph-9, item: x, equals: 'yes'}", 9, "unknown checklist 'hph-9'"),
        ("{checklist: hph-2, item: fallen, equals: 'yes'}", 9, "has no item 'fallen'"),
        ("{checklist: hph-2, item: weight_loss, equals: maybe}", 9, "use yes or no"),
        ("{checklist: hph-2, item: weight_loss, at_least: 2}", 9, "needs a number item"),
        ("{checklist: hph-2, item: weight_loss}", 9, "exactly one of 'equals', 'in'"),
    ],
)
def test_a_broken_rule_is_reported_with_file_and_line(
    tmp_path: Path, shipped: Catalogue, when: str, line: int, message: str
) -> None:
    folder = _write(tmp_path, "falls.yaml", RULE.format(id="falls", network="", when=when))
    with pytest.raises(CatalogueError) as caught:
        load_risk_rules(folder, shipped)
    problem = caught.value.problems[0]
    assert problem.file.endswith("falls.yaml") and problem.line == line
    assert message in problem.message


def test_a_rule_in_the_wrong_file_is_refused(tmp_path: Path, shipped: Catalogue) -> None:
    when = '{checklist: hph-4, item: falls_since_start, equals: "yes"}'
    folder = _write(tmp_path, "other.yaml", RULE.format(id="falls", network="", when=when))
    with pytest.raises(CatalogueError, match="must be named 'falls.yaml'"):
        load_risk_rules(folder, shipped)


def _shipped_conditions() -> list[tuple[str, int]]:
    """Every condition of every shipped rule, as (rule id, position)."""
    return [(rule.id, n) for rule in risk_rules_in_use().all() for n in range(len(rule.when))]


@pytest.mark.parametrize(("rule_id", "position"), _shipped_conditions())
def test_each_shipped_condition_fires_on_its_answer_and_not_on_another(
    shipped: Catalogue, rule_id: str, position: int
) -> None:
    rule = risk_rules_in_use().get(rule_id)
    assert rule is not None
    condition = rule.when[position]
    definition = shipped.get(condition.checklist)
    item = definition.item(condition.item)
    # The answers that reveal the item (a shown answer is all a rule looks at).
    shown: dict[str, object] = {}
    for parent in (item.show_if,) if item.show_if else ():
        shown[parent.item] = parent.equals if parent.equals is not None else parent.in_[0]  # type: ignore[index]
    if condition.at_least is not None:
        firing, quiet = condition.at_least, condition.at_least - 1
    else:
        firing = condition.equals if condition.equals is not None else condition.in_[0]  # type: ignore[index]
        quiet = "no" if firing != "no" else "yes"
    assert rule.met_by(definition, {**shown, condition.item: firing})
    assert not rule.met_by(definition, {**shown, condition.item: quiet})
    assert not rule.met_by(definition, shown)
