"""The ``checklists validate`` and ``checklists list`` commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.checklists.commands import checklists_app

WriteFiles = Callable[[dict[str, str]], Path]

cli = typer.Typer()
cli.add_typer(checklists_app, name="checklists")
runner = CliRunner()
WIDE = {"COLUMNS": "250"}


@pytest.fixture(autouse=True)
def shipped_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the shipped catalogue unless a test points elsewhere."""
    monkeypatch.delenv("HPH_CHECKLISTS_DIR", raising=False)


def test_validate_reports_ok_with_counts() -> None:
    result = runner.invoke(cli, ["checklists", "validate"])
    assert result.exit_code == 0, result.output
    assert "OK: checklists 8, versions 9, items" in result.stdout
    assert "variants 2" in result.stdout
    assert "Risk rules: 5" in result.stdout


def test_validate_names_a_broken_risk_rule_with_its_line(
    write_files: WriteFiles, demo_yaml: str
) -> None:
    rule = """\
    id: wrong
    title: {nb: X, en: X}
    action: {nb: X, en: X}
    help: {nb: X, en: X}
    owner: nobody
    due_window: {ends: 3d}
    when: [{checklist: demo, item: no_such_item, equals: "yes"}]
    """
    folder = write_files({"demo.yaml": demo_yaml, "risks/wrong.yaml": rule})
    result = runner.invoke(cli, ["checklists", "validate", "--dir", str(folder)])
    assert result.exit_code == 1
    assert "wrong.yaml, line 5: owner: " in result.stderr


def test_validate_lists_each_problem_and_fails(
    write_files: WriteFiles, demo_yaml: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = demo_yaml.replace("version: 1", "version: 0").replace("type: date", "type: day")
    monkeypatch.setenv("HPH_CHECKLISTS_DIR", str(write_files({"demo.yaml": broken})))
    result = runner.invoke(cli, ["checklists", "validate"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 4
    assert sum("demo.yaml, line " in line and ": item '" in line for line in lines) == 2
    assert any("demo.yaml, line " in line and "version: " in line for line in lines)
    assert lines[-1] == "3 problems."


def test_validate_takes_a_folder(write_files: WriteFiles, demo_yaml: str) -> None:
    folder = write_files({"demo.yaml": demo_yaml})
    result = runner.invoke(cli, ["checklists", "validate", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert "checklists 1" in result.stdout


def test_list_shows_the_catalogue_in_english() -> None:
    result = runner.invoke(cli, ["checklists", "list", "--lang", "en"], env=WIDE)
    assert result.exit_code == 0, result.output
    hph2 = next(line for line in result.stdout.splitlines() if " hph-2 " in line)
    for expected in ("HPH 2 – First home visit", "0d – 3d (end of day)", " 14 ", " 9 ",
                     "trygghet-eksempelkommune", "hospital_discharge, homecare_start"):  # fmt: skip
        assert expected in hph2
    assert "every 182d" in result.stdout


def test_list_shows_bokmal_titles() -> None:
    result = runner.invoke(cli, ["checklists", "list", "--lang", "nb"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Halvårlig gjennomgang" in result.stdout


def test_list_fails_on_a_broken_catalogue(write_files: WriteFiles) -> None:
    folder = write_files({"demo.yaml": "id: [\n"})
    result = runner.invoke(cli, ["checklists", "list", "--dir", str(folder)])
    assert result.exit_code == 1
    assert "demo.yaml, line 2: YAML:" in result.stderr


def test_no_command_shows_help() -> None:
    result = runner.invoke(cli, ["checklists"])
    assert "validate" in result.output and "list" in result.output
