"""The command line, driven with CliRunner: exit codes and exact messages."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sroi_excel.cli import main

from .conftest import digest


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def help_text(*args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


def test_help_fits_80_columns_and_lists_each_command_in_a_whole_sentence():
    text = help_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    listed = text.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listed] == sorted(main.commands)
    for line, (name, command) in zip(listed, sorted(main.commands.items()), strict=True):
        # one line each, the command's own short help, not cut off with "..."
        assert line.split(None, 1)[1] == command.short_help, name
        assert command.short_help.endswith(".") and not line.endswith("..."), name


def test_exit_codes_are_in_the_main_help_once_and_each_command_points_there():
    text = help_text()
    assert text.count("Exit codes:") == 1
    assert "5  several workbooks (fill, portfolio)" in text
    for name, command in main.commands.items():
        assert command.help, name
        text = help_text(name)
        assert max(len(line) for line in text.splitlines()) <= 80, name
        assert "Exit codes: see sroi-excel --help." in text, name
        assert "0  done" not in text, name


def test_new_check_fill_round_trip(tmp_path):
    path = tmp_path / "analyse.xlsx"
    result = run("new", path)
    assert result.exit_code == 0, result.output
    assert result.output == (f"wrote {path} (Dutch template); fill it in, then run: sroi-excel "
                             f"fill {path}\n")
    assert run("new", path).exit_code == 4  # exists: refused
    checked = run("check", path)
    assert checked.exit_code == 0, checked.output
    assert "no errors" in checked.output
    filled = run("fill", path)
    assert filled.exit_code == 0, filled.output
    assert "SROI ratio 1.86 (net 0.86)" in filled.output
    assert "previous version kept as analyse.xlsx.bak" in filled.output
    assert (tmp_path / "analyse.xlsx.bak").exists()


def test_fill_json_summary(tmp_path):
    path = tmp_path / "a.xlsx"
    run("new", path, "--lang", "en")
    result = run("fill", path, "--json", "--scenario", "minimum")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert data["results"]["scenario"] == "minimum"
    assert data["sheets"][:6] == ["Results", "By stakeholder", "By outcome", "By year",
                                  "Calculation trail", "Input trail"]


def test_errors_exit_1_and_leave_file_untouched(workbook):
    path = workbook(edits={("Opbrengsten", "G2"): 1.5, ("Opbrengsten", "A2"): "Gemeent"})
    before = digest(path)
    for command in ("check", "fill"):
        result = run(command, path)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert ("error: Opbrengsten!A2: the stakeholder 'Gemeent' is not on the stakeholders "
                "sheet; did you mean 'Gemeente'?") in result.output
        assert "error: Opbrengsten!G2: deadweight is 1.5" in result.output
    assert digest(path) == before
    assert not (path.parent / (path.name + ".bak")).exists()


@pytest.mark.parametrize(("edits", "message"), [
    ({("Opbrengsten", "D2"): 1e300, ("Opbrengsten", "E2"): 1e10},
     "error: Opbrengsten!D2: the outcome 'Minder uitkeringen' in year 1: quantity 1e+300 x "
     "proxy 1e+10 is too large to compute; check the quantity and proxy for a typing error"),
    ({("Opbrengsten", "D2"): 1e300, ("Opbrengsten", "D3"): 1e300,
      ("Opbrengsten", "E2"): 1e8, ("Opbrengsten", "E3"): 1e8},
     "error: the figures add up to more than a spreadsheet can hold"),
])
def test_figures_too_large_name_the_cell(workbook, edits, message):
    path = workbook(edits=edits)
    before = digest(path)
    for command in ("check", "fill"):
        result = run(command, path)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert message in result.output
    assert digest(path) == before


def test_json_errors(workbook):
    path = workbook(edits={("Opbrengsten", "G2"): 1.5})
    result = run("check", path, "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["errors"][0]["sheet"] == "Opbrengsten" and data["errors"][0]["cell"] == "G2"


@pytest.mark.parametrize("content,fragment", [
    (b"not a workbook at all", "is a CSV or text file, not an .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
])
def test_not_a_workbook_exits_3(tmp_path, content, fragment):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    result = run("fill", path)
    assert result.exit_code == 3, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert path.read_bytes() == content


def test_missing_file_exits_3(tmp_path):
    result = run("check", tmp_path / "nope.xlsx")
    assert result.exit_code == 3
    assert "nope.xlsx: no such file" in result.output


def test_lock_file_refused_exit_4(workbook):
    path = workbook()
    (path.parent / ("~$" + path.name)).write_bytes(b"")
    before = digest(path)
    result = run("fill", path)
    assert result.exit_code == 4, result.output
    assert "is open in Excel" in result.output
    assert digest(path) == before


def test_unknown_scenario(workbook):
    path = workbook()
    result = run("fill", path, "--scenario", "maximal")
    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "there is no scenario named 'maximal' (scenarios: minimum, maximum)")


def test_fill_to_output_leaves_source(workbook, tmp_path):
    path = workbook()
    before = digest(path)
    out = tmp_path / "out.xlsx"
    result = run("fill", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert digest(path) == before and out.exists()


def test_the_process_still_exits_with_its_code_and_message(tmp_path):
    # The process entry point freezes the collector on the way out: output and exit code are
    # as before.
    done = subprocess.run([sys.executable, "-m", "sroi_excel", "check", tmp_path / "none.xlsx"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert done.stderr == f"error: {tmp_path / 'none.xlsx'}: no such file\n"


def test_an_in_process_run_leaves_the_collector_alone(tmp_path):
    frozen = gc.get_freeze_count()
    assert run("new", tmp_path / "a.xlsx").exit_code == 0
    assert gc.get_freeze_count() == frozen
