"""Computed answers: declared in YAML, checked at load, worked out on each save, never typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.checklists.computed import bmi, mst
from app.checklists.loader import CatalogueError, load_catalogue
from app.checklists.models import ChecklistAnswerRevision
from app.core.db import utcnow
from app.pathways.events import record_event
from tests.factories import nurse_with_pathway, sign_in_client

HEADER = """\
id: demo
version: 1
title: {nb: Demo, en: Demo}
description: {nb: Demo, en: Demo}
trigger: homecare_start
due_window: {starts: 0d, ends: 7d}
items:
  - id: weight_kg
    type: number
    min: 20
    max: 300
    label: {nb: Vekt, en: Weight}
  - id: height_cm
    type: number
    min: 100
    max: 220
    label: {nb: Høyde, en: Height}
"""


def test_bmi_and_mst_by_hand() -> None:
    assert round(bmi(70, 175) or 0, 2) == 22.86  # 70 / 1.75² = 22.857
    assert bmi(70, None) is None and bmi("not_relevant", 175) is None
    assert mst("no", None, "no") == 0
    assert mst("yes", 4, "yes") == 2  # 1–5 kg: 1, eating less: 1
    assert mst("yes", 12, "no") == 3  # 11–15 kg: 3
    assert mst("yes", 20, "yes") == 5  # more than 15 kg: 4, eating less: 1
    assert mst("yes", None, "no") == 2  # lost weight, unsure how much: 2
    assert mst(None, None, "yes") is None


@pytest.mark.parametrize(
    ("compute", "line", "message"),
    [
        ("bmi(weight_kg)", 22, "bmi() takes 2 items, not 1"),
        ("eval(weight_kg)", 22, "unknown function 'eval'"),
        ("__import__('os')", 22, "compute must be a call like"),
        ("bmi(weight_kg, later)", 22, "'later', which is not an earlier item"),
    ],
)
def test_broken_compute_is_reported_with_file_and_line(
    write_files: Callable[[dict[str, str]], Path], compute: str, line: int, message: str
) -> None:
    text = (
        HEADER
        + f"""\
  - id: bmi
    type: number
    min: 5
    max: 100
    compute: "{compute}"
    label: {{nb: KMI, en: BMI}}
  - id: later
    type: number
    min: 0
    max: 1
    label: {{nb: Senere, en: Later}}
"""
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write_files({"demo.yaml": text}))
    shown = str(caught.value)
    assert f"demo.yaml, line {line}" in shown and message in shown


def test_computed_item_must_be_a_number(write_files: Callable[[dict[str, str]], Path]) -> None:
    text = (
        HEADER
        + """\
  - id: bmi
    type: text
    compute: bmi(weight_kg, height_cm)
    label: {nb: KMI, en: BMI}
"""
    )
    with pytest.raises(CatalogueError, match="line 19.*must be a number item"):
        load_catalogue(write_files({"demo.yaml": text}))


@pytest.fixture()
def nutrition(db: Session, client: TestClient):  # type: ignore[no-untyped-def]
    """A signed-in nurse and the nutrition screening after home care started yesterday."""
    team, nurse, viewer, patient, pathway = nurse_with_pathway(db)
    _event, created = record_event(
        db,
        viewer=viewer,
        pathway_id=pathway.id,
        kind="homecare_start",
        occurred_at=utcnow() - timedelta(days=1),
    )
    instance = next(i for i in created if i.definition_id == "ernaering")
    client.cookies.set("hph_lang", "en")
    sign_in_client(client, nurse)
    return client, instance


def test_bmi_is_worked_out_on_save_and_sent_out_of_band(db: Session, nutrition) -> None:
    client, instance = nutrition
    assert instance.definition_version == 2
    url = f"/checklists/{instance.id}/answers"
    client.post(f"{url}/weight_kg", data={"value": "70", "version": "0"})
    response = client.post(f"{url}/height_cm", data={"value": "175", "version": "0"})
    assert response.status_code == 200
    assert 'id="item-bmi"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "22.9 kg/m²" in response.text
    answers = client.get(f"/api/v1/checklists/{instance.id}").json()["answers"]
    assert {a["item_id"]: a["value"] for a in answers}["bmi"] == 22.9
    client.post(f"{url}/weight_kg", data={"value": "80", "version": "1"})
    revisions = db.exec(
        select(ChecklistAnswerRevision.value).where(ChecklistAnswerRevision.item_id == "bmi")
    ).all()
    assert sorted(revisions) == [22.9, 26.1]  # 80 / 1.75² = 26.12


def test_mst_score_follows_the_answers_and_cannot_be_typed(nutrition) -> None:
    client, instance = nutrition
    api = f"/api/v1/checklists/{instance.id}/answers"
    client.put(f"{api}/unintended_weight_loss", json={"value": "yes", "version": 0})
    client.put(f"{api}/weight_loss_kg", json={"value": 7, "version": 0})
    body = client.put(f"{api}/eating_less", json={"value": "yes", "version": 0}).json()
    assert {a["item_id"]: a["value"] for a in body["answers"]}["mst_score"] == 3
    assert {i["id"]: i["computed"] for i in body["items"]}["mst_score"] is True
    typed = client.put(f"{api}/mst_score", json={"value": 1, "version": 1})
    assert typed.status_code == 422 and "cannot be typed" in typed.json()["detail"]
    page = client.get(f"/checklists/{instance.id}").text
    assert 'id="field-mst_score"' not in page and 'id="field-bmi"' not in page
