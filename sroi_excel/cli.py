"""The command line: parses options, calls one function of ``sroi_excel.api``, prints."""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from .exceptions import SroiError, ValidationError

EXIT_CODES = """\b
Exit codes:
  0  done (warnings may have been printed)
  1  the workbook has errors; each is printed with its sheet and cell
  2  the command line is wrong (unknown option, missing file name)
  3  the file is not a workbook that can be read (wrong format, damaged, unsafe)
  4  the workbook was not written (open in Excel, read-only, changed, disk full)"""


@click.group(help="Social Return on Investment analyses in Excel.\n\n" + EXIT_CODES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sroi-excel")
def main() -> None:
    pass


@main.command(help="Write a new analysis workbook (the template) to PATH.\n\n" + EXIT_CODES)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of sheet names, headers and results.")
@click.option("--force", is_flag=True, help="Replace PATH if it exists (a backup is kept).")
def new(path: str, lang: str, force: bool) -> None:
    from . import api

    with _errors():
        target = api.new(path, lang=lang, force=force)
    click.echo(f"wrote {target} ({'Dutch' if lang == 'nl' else 'English'} template); fill it "
               f"in, then run: sroi-excel fill {target}")


@main.command(help="Check PATH without writing: every problem with its sheet and cell.\n\n"
              + EXIT_CODES)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--scenario", help="Compute this scenario instead of the one in the settings.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def check(path: str, scenario: str | None, as_json: bool) -> None:
    from . import api

    with _errors(as_json, path):
        report = api.check(path, scenario=scenario)
    if as_json:
        click.echo(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    else:
        _print_problems(report.problems)
        if report.stale:
            click.echo(f"warning: the result sheets of {path} are stale: the inputs changed "
                       "since the last fill; run sroi-excel fill again")
        if report.results is not None:
            click.echo(_headline(path, report.results))
        if not report.errors:
            click.echo(f"{path}: no errors, {len(report.warnings)} warning(s)")
    if report.errors:
        sys.exit(1)


@main.command(help="Compute PATH and write the result sheets into it (or into -o OUT).\n\n"
              + EXIT_CODES)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the filled workbook here instead of replacing PATH.")
@click.option("--scenario", help="Compute this scenario instead of the one in the settings.")
@click.option("--no-backup", is_flag=True, help="Do not keep the previous version as PATH.bak.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def fill(path: str, output: str | None, scenario: str | None, no_backup: bool,
         as_json: bool) -> None:
    from . import api

    with _errors(as_json, path):
        report = api.fill(path, output=output, scenario=scenario, backup=not no_backup)
    if as_json:
        click.echo(json.dumps(report.summary(), indent=2, ensure_ascii=False))
        return
    _print_problems(report.problems)
    click.echo(_headline(path, report.results))
    backup = f" (previous version kept as {report.backup.name})" if report.backup else ""
    click.echo(f"wrote {', '.join(report.sheets)} to {report.output}{backup}")


def _headline(path: str, results) -> str:
    h = results.headline
    scenario = f" [{h.scenario}]" if h.scenario else ""
    if h.ratio is None:
        return f"{path}{scenario}: PV of outcomes {h.pv_value:,.2f}; no inputs, so no ratio"
    payback = (f"payback {h.payback_years:.1f} years" if h.payback_years is not None
               else "no payback within the horizon")
    return (f"{path}{scenario}: SROI ratio {h.ratio:.2f} (net {h.net_ratio:.2f}) · PV outcomes "
            f"{h.pv_value:,.2f} · PV inputs {h.pv_inputs:,.2f} · NPV {h.npv:,.2f} · {payback}")


def _print_problems(problems) -> None:
    for p in problems:
        label = "error" if p.severity == "error" else "warning"
        click.echo(f"{label}: {p}", err=p.severity == "error")


class _errors:
    """Turn library errors into a message and an exit code; never a traceback."""

    def __init__(self, as_json: bool = False, path: str | None = None):
        self.as_json = as_json
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or not isinstance(exc, SroiError | ValueError):
            return False
        problems = getattr(exc, "problems", [])
        code = getattr(exc, "exit_code", 1)
        if self.as_json:
            errors = [{"sheet": p.sheet, "cell": p.cell, "message": p.message}
                      for p in problems if p.severity == "error"] or [
                {"sheet": "", "cell": "", "message": str(exc)}]
            warnings = [{"sheet": p.sheet, "cell": p.cell, "message": p.message}
                        for p in problems if p.severity == "warning"]
            click.echo(json.dumps({"file": self.path, "ok": False, "errors": errors,
                                   "warnings": warnings}, indent=2, ensure_ascii=False))
        elif isinstance(exc, ValidationError):
            _print_problems(problems)
            errors = len([p for p in problems if p.severity == "error"])
            click.echo(f"{self.path}: {errors} error(s); nothing was written", err=True)
        else:
            click.echo(f"error: {exc}", err=True)
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
