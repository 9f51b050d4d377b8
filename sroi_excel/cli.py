"""The command line: parses options, calls one function of ``sroi_excel.api``, prints."""

from __future__ import annotations

import gc
import os
import shutil
import sys

import click

from . import __version__
from .exceptions import SroiError, ValidationError

EXIT_CODES = """\b
Exit codes:
  0  done (warnings may have been printed)
  1  the workbook has errors; each is printed with its sheet and cell
  2  the command line is wrong (unknown option, missing file name)
  3  the file is not a workbook that can be read (wrong format, damaged,
     unsafe)
  4  the workbook was not written (open in Excel, read-only, changed, disk
     full)
  5  several workbooks (fill, portfolio): one or more failed or were left
     out (each named with the reason)"""
# Each command's help ends with this instead of the whole table, which the main help holds.
SEE_EXIT_CODES = "\n\nExit codes: see sroi-excel --help."


def _json(data) -> str:
    import json  # here: only --json and a few listings print JSON

    return json.dumps(data, indent=2, ensure_ascii=False)


class _Program(click.Group):
    """The group as the ``sroi-excel`` process runs it (CliRunner calls ``main`` instead)."""

    def __call__(self, *args, **kwargs):
        # The one place the program touches Python's cycle collector. The process runs one
        # command and ends, and what the command makes lives until then with hardly a
        # reference cycle, so the collector is off for the whole run and what is left is
        # frozen at the end: its collections only walked every object again, above all the
        # full one as the interpreter exits. Reference counting frees memory as usual; output
        # is written and flushed as before, only cyclic garbage is left to the OS. Measured
        # (bench/run.py's inputs, whole process, medians of 5 in two runs, against the
        # collector left on): 50 outcomes 0.46-0.70 s against 0.54-0.78 s, 1,000 outcomes
        # 0.75-1.04 s against 0.88-1.25 s, 10,000 outcomes 4.1-4.5 s against 5.0-5.1 s.
        gc.disable()
        # numpy's OpenBLAS starts a thread per further core at import, which spins for ~0.1 s
        # of CPU. Nothing here does linear algebra; the batch's workers inherit the setting.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        try:
            return super().__call__(*args, **kwargs)
        finally:
            gc.freeze()


@click.group(cls=_Program, help="Social Return on Investment analyses in Excel.\n\n" + EXIT_CODES,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sroi-excel")
def main() -> None:
    # Before any command writes: with SIGXFSZ at its default, hitting a file-size limit
    # (ulimit -f) kills the process mid-write, leaving a temp file and no message.
    import contextlib

    from .safefile import ignore_file_size_signal

    with contextlib.suppress(ValueError):  # not the main thread: an embedding program's call
        ignore_file_size_signal()


@main.command(short_help="Write a new analysis workbook (the template).",
              help="Write a new analysis workbook (the template) to PATH." + SEE_EXIT_CODES)
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


@main.command(short_help="Check a workbook without writing: each problem and its cell.",
              help="Check PATH without writing: every problem with its sheet and cell."
              + SEE_EXIT_CODES)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--scenario", help="Compute this scenario instead of the one in the settings.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("--draws", type=click.IntRange(0, 1_000_000), default=None,
              help="Monte Carlo draws instead of the number in the settings (0: none).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Monte Carlo seed instead of the one in the settings.")
def check(path: str, scenario: str | None, as_json: bool, draws: int | None,
          seed: int | None) -> None:
    from . import api

    with _errors(as_json, path), _Progress() as progress:
        report = api.check(path, scenario=scenario, draws=draws, seed=seed, progress=progress)
    if as_json:
        click.echo(_json(report.summary()))
    else:
        _print_problems(report.problems)
        if report.stale:
            click.echo(f"warning: the result sheets of {path} are stale: the inputs changed "
                       "since the last fill; run sroi-excel fill again")
        if report.results is not None:
            click.echo(api.headline(path, report.results))
            _echo_uncertainty(report.uncertainty)
        if report.quality is not None:
            for line in report.quality.lines():
                click.echo(line)
        if not report.errors:
            click.echo(f"{path}: no errors, {len(report.warnings)} warning(s)")
    if report.errors:
        sys.exit(1)


@main.command(short_help="Compute workbooks and write the result sheets into them.",
              help="Compute PATH and write the result sheets into it (or into -o OUT). With "
              "several PATHs (e.g. *.xlsx) each is filled in place, --jobs at a time: one line "
              "per workbook as it finishes, then a summary; a workbook that fails does not "
              "stop the others." + SEE_EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False),
                metavar="PATH...")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the filled workbook here instead of replacing PATH (one PATH only).")
@click.option("--scenario", help="Compute this scenario instead of the one in the settings.")
@click.option("--no-backup", is_flag=True, help="Do not keep the previous version as PATH.bak.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("--draws", type=click.IntRange(0, 1_000_000), default=None,
              help="Monte Carlo draws instead of the number in the settings (0: none).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Monte Carlo seed instead of the one in the settings.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="With several PATHs: how many to fill at once, each in its own process "
                   "(default: the number of CPUs; 1: one after another, no pool).")
@click.option("--force", is_flag=True,
              help="Replace the result sheets even where cells in them were changed since the "
                   "last fill (PATH.bak keeps them). One PATH only.")
def fill(paths: tuple[str, ...], output: str | None, scenario: str | None, no_backup: bool,
         as_json: bool, draws: int | None, seed: int | None, jobs: int | None,
         force: bool) -> None:
    if len(paths) > 1:
        if force:
            raise click.UsageError("--force replaces what someone typed into the result "
                                   "sheets, so it takes one PATH: fill that workbook on its own")
        _fill_many(paths, output, scenario, not no_backup, as_json, draws, seed, jobs)
        return
    from . import api

    path = paths[0]
    with _errors(as_json, path), _Progress() as progress:
        # No bar to show (not a terminal): no callback, so the analysis may run in a second
        # process (api.ASIDE_OUTCOMES).
        report = api.fill(path, output=output, scenario=scenario, backup=not no_backup,
                          draws=draws, seed=seed, progress=progress if progress.show else None,
                          force=force)
    if as_json:
        click.echo(_json(report.summary()))
        return
    _print_problems(report.problems)
    click.echo(api.headline(path, report.results))
    _echo_uncertainty(report.uncertainty)
    if report.quality is not None:
        adjusted = report.quality.adjusted_line()
        click.echo(report.quality.summary() + (f"; {adjusted}" if adjusted else ""))
    backup = f" (previous version kept as {report.backup.name})" if report.backup else ""
    click.echo(f"wrote {', '.join(report.sheets)} to {report.output}{backup}")


def _fill_many(paths, output, scenario, backup, as_json, draws, seed, jobs) -> None:
    from .batch import fill_many

    if output is not None:
        raise click.UsageError("-o/--output names one file, so it takes one PATH; with several "
                               "PATHs each workbook is filled in place (drop -o, or fill them "
                               "one at a time)")
    files = len({os.path.realpath(p) for p in paths})  # as fill_many counts them
    with _BatchProgress(files, echo_lines=not as_json) as progress:
        report = fill_many(paths, jobs=jobs, scenario=scenario, backup=backup, draws=draws,
                               seed=seed, on_done=progress)
    if as_json:
        click.echo(_json(report.summary()))
    else:
        for duplicate in report.duplicates:
            click.echo(f"note: {duplicate} was listed more than once; it was filled once",
                       err=True)
        click.echo(report.summary_line())
    sys.exit(report.exit_code)


@main.command("prices", short_help="List the shipped reference prices, indexed with the CBS CPI.",
              help="List the reference prices of the Dutch template (unit costs with base year "
              "and source), only those matching WORD when given, e.g. `sroi-excel prices "
              "huisarts`, each also in prices of the latest year of the CBS price index. Type a "
              "price's code in a proxy or rate cell; fill indexes it to the price year."
              + SEE_EXIT_CODES)
@click.argument("words", nargs=-1, metavar="[WORD]...")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of items, units and sources.")
@click.option("--json", "as_json", is_flag=True, help="Print the prices as JSON.")
def prices_command(words: tuple[str, ...], lang: str, as_json: bool) -> None:
    from . import prices

    word = " ".join(words)
    rows = prices.search(word)
    if as_json:
        click.echo(_json(prices.as_dicts(rows, lang)))
    elif rows:
        width = click.get_current_context().terminal_width or shutil.get_terminal_size().columns
        click.echo(prices.listing(rows, lang, width))
    else:
        click.echo(f"no reference price matches '{word}'; run `sroi-excel prices` to see all "
                   f"{len(prices.LIBRARY)}")


@main.command(short_help="Compute several workbooks and print or write an overview.",
              help="Compute several workbooks (filled or not) and print an overview: each "
              "analysis and scenario, totals per scenario, stakeholders that appear in "
              "several workbooks summed across them, and the totals by stakeholder category. "
              "-o writes it as a workbook with charts. "
              "A workbook that cannot be computed is named with the reason; the others still "
              "count." + SEE_EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False),
                metavar="PATH...")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the overview workbook here (.xlsx).")
@click.option("--scenario", "scenarios", multiple=True,
              help="Total only this scenario besides the base values (repeat for more); "
                   "default: every scenario found.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default=None,
              help="Language of the overview; default: that of the first workbook.")
@click.option("--json", "as_json", is_flag=True, help="Print the overview as JSON.")
def portfolio(paths: tuple[str, ...], output: str | None, scenarios: tuple[str, ...],
              lang: str | None, as_json: bool) -> None:
    from . import api

    with _errors(as_json):
        report = api.portfolio(list(paths), output=output, scenarios=list(scenarios),
                               lang=lang)
    if as_json:
        click.echo(_json(report.summary()))
    else:
        for failure in report.failures:
            click.echo(f"error: {failure}", err=True)
        for line in _portfolio_lines(report.portfolio):
            click.echo(line)
        if report.output is not None:
            click.echo(f"wrote the overview to {report.output}")
        elif output is not None:
            click.echo(f"{output} was not written: no workbook could be computed", err=True)
    if report.failures:
        sys.exit(5)


@main.command(short_help="Compare two versions of a workbook: what changed, and its effect.",
              help="Compare two versions of an analysis, OLD and NEW: every change that affects "
              "the figures (settings, assumptions, rows added, removed or changed field by "
              "field, scenarios, prices), each with its share of the change in the SROI ratio "
              "and the NPV, also per stakeholder. Rows are matched by stakeholder and "
              "description, not by position. Writes a comparison workbook (default "
              "NEW-compare.xlsx), or with --into a sheet into NEW; OLD and NEW are only read."
              + SEE_EXIT_CODES)
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the comparison workbook here (default: NEW-compare.xlsx beside NEW).")
@click.option("--into", is_flag=True,
              help="Write the comparison as a sheet into NEW instead (a backup is kept).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(old: str, new: str, output: str | None, into: bool, as_json: bool) -> None:
    from . import api

    if into and output is not None:
        raise click.UsageError("-o/--output and --into exclude each other: --into writes the "
                               "comparison into NEW itself")
    with _errors(as_json):  # the message names the workbook at fault
        report = api.compare(old, new, output=output, into=into)
    if as_json:
        click.echo(_json(report.summary()))
        return
    for line in _compare_lines(report):
        click.echo(line)


def _compare_lines(report) -> list[str]:
    c = report.comparison
    old, new = c.old, c.new

    def ratio(h) -> str:
        return f"{h.ratio:.2f}" if h.ratio is not None else "n/a"

    def payback(h) -> str:
        return f"{h.payback_years:.1f}" if h.payback_years is not None else "not reached"

    change = f" ({c.ratio_change:+.2f})" if c.ratio_change is not None else ""
    lines = [f"{report.old.name} -> {report.new.name}: SROI ratio {ratio(old)} -> "
             f"{ratio(new)}{change} · NPV {old.npv:,.2f} -> {new.npv:,.2f} "
             f"({c.npv_change:+,.2f})",
             f"  PV outcomes {old.pv_value:,.2f} -> {new.pv_value:,.2f} · PV inputs "
             f"{old.pv_inputs:,.2f} -> {new.pv_inputs:,.2f} · payback {payback(old)} -> "
             f"{payback(new)} years"]
    counted = c.counted
    listed = [x for x in c.changes if not x.counted]
    if counted:
        lines.append(f"{len(counted)} change(s) that move the figures, largest first "
                     "(effect on the ratio, on the NPV):")
    for x in counted:
        effect = f"{x.ratio:+8.4f}" if x.ratio is not None else f"{'n/a':>8}"
        step = f"[step {x.step}] " if x.step is not None else ""
        npv = f"{x.npv:+14,.2f}" if x.npv is not None else f"{'n/a':>14}"
        lines.append(f"  {effect} {npv}  {step}{_change_text(x)}")
    if listed:
        lines.append(f"{len(listed)} change(s) that do not move the figures:")
        lines += [f"  {_change_text(x)} ({x.note.en if x.note else x.kind})" for x in listed]
    if not c.changes:
        lines.append("no changes that affect the figures")
    method = {
        "shapley": f"Shapley value: each change's average effect over every order of making "
                   f"the {len(counted)} change(s), from {c.computations} computations",
        "sequence": "the changes made one at a time in a fixed order (see [step])",
    }.get(c.method)
    if method:
        lines.append(f"method: {method}; the effects add up to the total (details on the "
                     "sheet)")
    lines += [f"note: {note.en}" for note in c.notes]
    if report.into:
        backup = f" (previous version kept as {report.backup.name})" if report.backup else ""
        lines.append(f"wrote the sheet {report.sheet} into {report.output}{backup}")
    else:
        lines.append(f"wrote the comparison to {report.output}")
    return lines


def _change_text(change) -> str:
    def shown(s) -> str:
        return s.text("en") if s is not None else "-"

    if change.kind in ("added", "removed"):
        return f"{change.label('en')} {change.kind}: {shown(change.new or change.old)}"
    return f"{change.label('en')}: {shown(change.old)} -> {shown(change.new)}"


def _portfolio_lines(p) -> list[str]:
    def money(x: float) -> str:
        return f"{x:,.2f}"

    def ratios(ratio, net_ratio) -> str:
        if ratio is None or ratio != ratio:
            return "no inputs, so no ratio"
        return f"ratio {ratio:.2f} (net {net_ratio:.2f})"

    lines = []
    for r in p.analyses.itertuples(index=False):
        lines.append(f"{r.file} [{r.scenario}]: inputs {money(r.pv_inputs)} · outcomes "
                     f"{money(r.pv_value)} · net {money(r.npv)} · {ratios(r.ratio, r.net_ratio)}")
    for r in p.totals.itertuples(index=False):
        base = f" (at base values: {r.base_for})" if r.base_for else ""
        lines.append(f"total [{r.scenario}] of {r.analyses} analyses: inputs "
                     f"{money(r.pv_inputs)} · outcomes {money(r.pv_value)} · net {money(r.npv)}"
                     f" · {ratios(r.ratio, r.net_ratio)}{base}")
    for r in p.stakeholders.itertuples(index=False):
        if r.analyses > 1:
            lines.append(f"{r.stakeholder} [{r.scenario}] across {r.analyses} analyses: inputs "
                         f"{money(r.inputs)} · outcomes {money(r.value)} · net {money(r.net)} · "
                         f"{ratios(r.ratio, r.net_ratio)}")
    if p.categories.empty:
        return lines
    for r in p.categories.itertuples(index=False):
        lines.append(f"category {r.label} [{r.scenario}] ({r.stakeholders} stakeholder(s) in "
                     f"{r.analyses} analyses): inputs {money(r.inputs)} ({r.share_inputs:.0%}) · "
                     f"outcomes {money(r.value)} ({r.share_value:.0%}) · net {money(r.net)} · "
                     f"{ratios(r.ratio, r.net_ratio)}")
    from .portfolio import uncategorised_note

    return [*lines, uncategorised_note(p, "en")]


def _echo_uncertainty(found) -> None:
    mc = found.monte_carlo if found is not None else None
    for note in found.skipped if found is not None else ():
        click.echo(note.en)
    if mc is None or mc.ratio.mean is None:
        return
    r = mc.ratio
    above = (f" · ratio above 1 in {mc.p_ratio_above_1:.1%} of draws"
             if mc.p_ratio_above_1 is not None else "")
    click.echo(f"Monte Carlo ({mc.draws:,} draws, seed {mc.seed}): ratio P5 {r.p5:.2f} · P50 "
               f"{r.p50:.2f} · P95 {r.p95:.2f}{above}")


class _Progress:
    """A progress bar on stderr for Monte Carlo, shown only once it has run for a moment.

    Only on a terminal: piped output and --json on stdout stay clean.
    """

    DELAY = 0.5  # seconds before the bar appears

    def __init__(self, stream=None, clock=None, force: bool = False):
        import time

        self.stream = stream or sys.stderr
        self.clock = clock or time.monotonic
        self.show = force or self.stream.isatty()
        self.start: float | None = None
        self.bar = None
        self.done = 0

    def __enter__(self):
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self.show:
            return
        if self.start is None or done < self.done:  # a new run
            self.start, self.done = self.clock(), 0
            return
        if self.bar is None and self.clock() - self.start >= self.DELAY:
            self.bar = click.progressbar(length=total, label="Monte Carlo", file=self.stream)
            self.bar.__enter__()
            self.bar.update(done)  # what was done before the bar appeared
        elif self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
            self.bar = None
        return False


class _BatchProgress:
    """fill with several workbooks: each one's line on stdout as it finishes, under a progress
    bar on stderr (only on a terminal, so piped output and --json stay clean)."""

    CLEAR = "\r\x1b[2K"  # back to the start of the line and erase it

    def __init__(self, total: int, echo_lines: bool = True, stream=None):
        self.total = total
        self.echo_lines = echo_lines
        self.stream = stream or sys.stderr
        self.show = self.stream.isatty()
        self.bar = None

    def __enter__(self):
        if self.show:
            self.bar = click.progressbar(length=self.total, label="fill", file=self.stream)
            self.bar.__enter__()
        return self

    def __call__(self, result) -> None:
        if self.bar is not None and self.echo_lines:
            self.stream.write(self.CLEAR)  # the line goes where the bar was; the bar below it
            self.stream.flush()
        if self.echo_lines:
            click.echo(result.line)
        if self.bar is not None:
            self.bar.update(1)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
            self.bar = None
        return False


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
            click.echo(_json({"file": self.path, "ok": False, "errors": errors,
                              "warnings": warnings}))
        elif isinstance(exc, ValidationError):
            _print_problems(problems)
            errors = len([p for p in problems if p.severity == "error"])
            click.echo(f"{self.path}: {errors} error(s); nothing was written", err=True)
        else:
            click.echo(f"error: {exc}", err=True)
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
