"""What the commands do, callable from Python: ``new``, ``check``, ``fill``, ``portfolio`` and
``compare``.

Each function reads, computes and writes through the pipeline modules and raises an
``SroiError`` subclass for anything a user can cause; the CLI only turns those into messages.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import (
    __version__,
    locks,
    ownsheets,
    packager,
    quality,
    reader,
    render,
    safefile,
    schema,
    uncertainty,
)
from .check import validate
from .engine import Results, compute
from .exceptions import (
    Problem,
    SroiError,
    ValidationError,
    WorkbookError,
    WriteRefusedError,
)
from .packager import Rendered
from .template import build_template

FINGERPRINT_PROPERTY = "sroi-excel-inputs"
VERSION_PROPERTY = "sroi-excel-version"


@dataclass(frozen=True)
class Report:
    """The outcome of check or fill: problems found, results computed, files touched."""

    path: Path
    problems: tuple[Problem, ...] = ()
    results: Results | None = None
    output: Path | None = None
    backup: Path | None = None
    sheets: tuple[str, ...] = field(default=())
    stale: bool = False  # check only: result sheets older than the inputs
    uncertainty: uncertainty.Uncertainty | None = None
    quality: quality.Quality | None = None  # the checklist of the quality sheet

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def summary(self) -> dict:
        """Plain data for --json."""
        data: dict = {
            "file": str(self.path),
            "ok": not self.errors,
            "errors": [_problem(p) for p in self.errors],
            "warnings": [_problem(p) for p in self.warnings],
        }
        if self.output is not None:
            data["written"] = str(self.output)
            data["backup"] = str(self.backup) if self.backup else None
            data["sheets"] = list(self.sheets)
        if self.stale:
            data["stale"] = True
        if self.results is not None:
            h = self.results.headline
            lang = self.results.model.language
            by_category = "category" in self.results.tables["stakeholders"].columns
            data["results"] = {
                "scenario": h.scenario,
                "sroi_ratio": h.ratio,
                "net_sroi_ratio": h.net_ratio,
                "pv_outcomes": h.pv_value,
                "pv_inputs": h.pv_inputs,
                "npv": h.npv,
                "payback_years": h.payback_years,
                "discount_rate": h.discount_rate,
                "discount_rate_inputs": h.input_rate,
                "horizon_years": h.years,
                "stakeholders": [
                    {"stakeholder": r.stakeholder, "inputs": r.inputs, "value": r.value,
                     "net": r.net, "ratio": _finite(r.ratio), "net_ratio": _finite(r.net_ratio),
                     **(_category(r.category, lang) if by_category else {})}
                    for r in self.results.tables["stakeholders"].records()],
                "categories": _categories(self.results),
            }
        if self.uncertainty is not None:
            data["uncertainty"] = self.uncertainty.to_dict()
        if self.quality is not None:
            data["quality"] = self.quality.to_dict()
        return data


FillReport = Report


def _category(category: str, lang: str) -> dict:
    """A category for --json: a kind's key (free text as typed; None for none) and its label."""
    return {"category": category or None, "category_label": schema.category_label(category,
                                                                                   lang)}


def _categories(results: Results) -> list[dict]:
    """Who pays and who gains by category, for --json; empty where no category is given."""
    lang = results.model.language
    return [{**_category(r.category, lang), "stakeholders": r.stakeholders,
             "inputs": r.inputs, "value": r.value, "net": r.net, "ratio": _finite(r.ratio),
             "net_ratio": _finite(r.net_ratio), "share_inputs": r.share_inputs,
             "share_value": r.share_value}
            for r in results.tables["categories"].records()]


def _finite(value):
    """None for a missing ratio (pandas stores it as NaN, which is not valid JSON)."""
    return None if value is None or value != value else value


def _problem(p: Problem) -> dict:
    return {"sheet": p.sheet, "cell": p.cell, "message": p.message}


def new(path: str | os.PathLike, lang: str = "nl", force: bool = False) -> Path:
    """Write an empty analysis workbook (with one worked example) to ``path``."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValueError(f"{target.name}: the template is an .xlsx workbook; use a name ending "
                         "in .xlsx")
    if target.exists() and not force:
        raise WriteRefusedError(f"{target} already exists; choose another name or use --force")
    safefile.write_atomic(target, build_template(lang), backup=force)
    return target


def _analyse(data: bytes, name: str, scenario: str | None) -> tuple[reader.Reading, list]:
    reading = reader.read(data, name)
    return reading, _checked(reading)


def _checked(reading: reader.Reading) -> list[Problem]:
    problems = list(reading.problems)
    if reading.model is not None and not reading.errors:
        problems += validate(reading.model)
    return problems


def check(path: str | os.PathLike, scenario: str | None = None, *, draws: int | None = None,
          seed: int | None = None, progress: uncertainty.Progress | None = None) -> Report:
    """Validate a workbook without writing; results are computed when there are no errors.

    ``draws`` and ``seed`` replace the Monte Carlo settings of the workbook (0 draws: none);
    ``progress(done, total)`` is called while Monte Carlo runs.
    """
    snapshot = safefile.read_snapshot(path)
    reading, problems = _analyse(snapshot.data, Path(path).name, scenario)
    results = unsure = checklist = None
    if reading.model is not None and not any(p.severity == "error" for p in problems):
        results = compute(reading.model, scenario)
        problems += list(results.warnings)
        unsure = _uncertainty(results, scenario, draws, seed, progress, problems)
        checklist = quality.assess(results, unsure)
    stale = _is_stale(snapshot.data, reading.fingerprint)
    return Report(Path(path), tuple(problems), results, stale=stale, uncertainty=unsure,
                  quality=checklist)


def _uncertainty(results, scenario, draws, seed, progress, problems: list[Problem]):
    """Scenarios, sensitivity, switching values, Monte Carlo; a part that fails is a warning."""
    found = uncertainty.analyse(results.model, scenario, draws=draws, seed=seed,
                                progress=progress, results=results)
    problems += [Problem("", "", note.en, "warning") for note in found.notes]
    return found


def _one_writer_at_a_time(fill):
    """``fill`` holding the lock on the file it writes (locks.exclusive) from reading the
    workbook to writing it: a second fill of the same file waits, then reads what the first
    one wrote, so neither overwrites the other's work unseen."""
    @functools.wraps(fill)
    def locked(path, output=None, *args, **kwargs):
        with locks.exclusive(output if output is not None else path):
            return fill(path, output, *args, **kwargs)
    return locked


def _result_language(reading: reader.Reading, problems: list[Problem]) -> str:
    """The language of the result sheets (that of earlier fills); refuses sheets that have
    their names but are not the tool's."""
    lang, note = ownsheets.result_language(reading.parts, reading.model.language)
    if note is not None:
        problems.append(note)
    ownsheets.refuse_foreign(reading.parts, render.sheet_names(lang))
    return lang


@_one_writer_at_a_time
def fill(path: str | os.PathLike, output: str | os.PathLike | None = None,
         scenario: str | None = None, backup: bool = True, *, draws: int | None = None,
         seed: int | None = None, progress: uncertainty.Progress | None = None,
         force: bool = False) -> Report:
    """Compute the analysis and write the result sheets into the workbook (or into output).

    ``draws``, ``seed`` and ``progress`` as for :func:`check`. Cells of the result sheets
    changed since the last fill are refused (ValidationError naming them) unless ``force``.
    """
    source = Path(path)
    target = Path(output) if output is not None else source
    snapshot = safefile.read_snapshot(source)
    # Refuse early (open in Excel, read-only) before spending time on the computation.
    safefile.check_writable(target, source=snapshot if _same(source, target) else None,
                            backup=backup)
    reading = reader.read(snapshot.data, source.name)
    problems = _checked(reading)
    if reading.model is None or any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    lang = _result_language(reading, problems)
    results = compute(reading.model, scenario)
    problems += list(results.warnings)
    unsure = _uncertainty(results, scenario, draws, seed, progress, problems)
    results = _with_warnings(results, problems)
    checklist = quality.assess(results, unsure)
    rendered = render.render_for_merge(results, lang, uncertainty=unsure, checklist=checklist)
    # Written elsewhere (-o), the workbook keeps whatever was typed into its result sheets.
    record = ownsheets.checked(reading.parts, rendered, problems=problems,
                               force=force or not _same(source, target))
    merged = packager.merge_result_sheets(
        snapshot.data, rendered, name=source.name, parts=reading.parts,
        properties={FINGERPRINT_PROPERTY: reading.fingerprint, VERSION_PROPERTY: __version__},
        written={ownsheets.PROPERTY: record})
    linked = _link_warnings(snapshot, source, target)  # before the backup is one more name
    kept = safefile.write_atomic(target, merged, source=snapshot if _same(source, target)
                                 else None, backup=backup)
    problems += linked
    return Report(source, tuple(problems), results, output=target, backup=kept,
                  sheets=tuple(render.sheet_names(lang)), uncertainty=unsure, quality=checklist)


def _link_warnings(snapshot: safefile.Snapshot, source: Path, target: Path) -> list[Problem]:
    """A workbook filled in place that has other names (hard links) keeps its old content
    under those: said, not written through (see safefile)."""
    said = safefile.hard_link_warning(snapshot, os.fspath(source)) if _same(
        source, target) else None
    return [Problem("", "", said, "warning")] if said else []


@dataclass(frozen=True)
class PortfolioReport:
    """The outcome of portfolio: the overview's tables, the workbooks left out, the file."""

    portfolio: object  # sroi_excel.portfolio.Portfolio (imported lazily: it pulls in xlsxwriter)
    output: Path | None = None
    backup: Path | None = None

    @property
    def failures(self) -> list:
        return list(self.portfolio.failures)

    def summary(self) -> dict:
        """Plain data for --json."""
        p = self.portfolio

        def records(frame) -> list[dict]:
            return [{k: (None if isinstance(v, float) and v != v else v)
                     for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "ok": not p.failures,
            "analyses": records(p.analyses),
            "totals": records(p.totals),
            "stakeholders": records(p.stakeholders),
            "categories": [{"category": row.pop("category") or None,
                            "category_label": row.pop("label"), **row}
                           for row in records(p.categories)],
            "uncategorised": {"count": len(p.uncategorised), "of": p.stakeholder_count,
                              "stakeholders": [{"stakeholder": name, "analysis": analysis,
                                                "file": file}
                                               for name, analysis, file in p.uncategorised]},
            "failed": [{"file": f.file, "reason": f.reason,
                        "errors": [_problem(x) for x in f.problems if x.severity == "error"]}
                       for f in p.failures],
            "written": str(self.output) if self.output else None,
        }


def portfolio(paths: list[str | os.PathLike], output: str | os.PathLike | None = None,
              scenarios: list[str] | None = None, lang: str | None = None,
              backup: bool = True) -> PortfolioReport:
    """Compute several workbooks and (with output) write an overview workbook.

    A workbook that cannot be read or has errors is left out and named in ``failures`` with
    the reason; the others are still computed. Nothing is written when none could be.
    """
    from . import portfolio as pf

    target = Path(output) if output is not None else None
    if target is not None:
        if target.suffix.lower() != ".xlsx":
            raise ValueError(f"{target.name}: the overview is an .xlsx workbook; use a name "
                             "ending in .xlsx")
        for path in paths:
            if _same(Path(path), target):
                raise WriteRefusedError(f"the overview would replace the workbook {path}; "
                                        "choose another name for the output")
    members, failures, seen = [], [], set()
    for path in paths:
        shown = os.fspath(path)
        key = os.path.realpath(path)
        if key in seen:
            failures.append(pf.Failure(shown, "is listed twice; it is counted once"))
            continue
        seen.add(key)
        try:
            snapshot = safefile.read_snapshot(path)
            reading, problems = _analyse(snapshot.data, Path(path).name, None)
        except (SroiError, ValueError, OSError) as exc:
            failures.append(pf.Failure(shown, str(exc)))
            continue
        errors = [p for p in problems if p.severity == "error"]
        if reading.model is None or errors:
            first = str(errors[0]) if errors else "the workbook could not be read"
            more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
            failures.append(pf.Failure(shown, f"{first}{more}", tuple(problems)))
            continue
        members.append((shown, reading.model))
    result = pf.build(members, scenarios=scenarios, failures=failures, lang=lang)
    kept = None
    if target is not None and result.members:
        kept = safefile.write_atomic(target, pf.render_overview(result), backup=backup)
    return PortfolioReport(result, target if target is not None and result.members else None,
                           kept)


@dataclass(frozen=True)
class CompareReport:
    """The outcome of compare: the comparison and the file it was written to."""

    old: Path
    new: Path
    comparison: object  # sroi_excel.compare.Comparison (imported lazily, as the command is)
    output: Path
    backup: Path | None = None
    sheet: str = ""
    into: bool = False

    def summary(self) -> dict:
        """Plain data for --json."""
        return {"ok": True, "old_file": str(self.old), "new_file": str(self.new),
                **self.comparison.to_dict(),
                "written": str(self.output), "sheet": self.sheet,
                "backup": str(self.backup) if self.backup else None}


def compare(old: str | os.PathLike, new: str | os.PathLike,
            output: str | os.PathLike | None = None, into: bool = False) -> CompareReport:
    """Compare two versions of an analysis and write the comparison: to ``output`` (default
    NEW-compare.xlsx beside NEW), or with ``into`` as a sheet into NEW itself (a backup kept).

    Both workbooks are only read (NEW is rewritten with ``into``). A workbook with errors is
    named with its first error; workbooks in different currencies are refused.
    """
    from . import compare as comparing
    from . import render_compare

    old_path, new_path = Path(old), Path(new)
    if into and output is not None:
        raise ValueError("-o/--output and --into exclude each other: --into writes the "
                         f"comparison into {new_path.name} itself")
    target = new_path if into else (Path(output) if output is not None else
                                    new_path.with_name(f"{new_path.stem}-compare.xlsx"))
    if target.suffix.lower() != ".xlsx":
        raise ValueError(f"{target.name}: the comparison is an .xlsx workbook; use a name "
                         "ending in .xlsx")
    for path in (old_path, new_path):
        if not (into and path is new_path) and _same(path, target):
            raise WriteRefusedError(f"the comparison would replace the workbook {path}; "
                                    "choose another name for the output")
    # Like fill, it holds the lock on the file it writes from reading to writing: with --into,
    # a fill of NEW meanwhile waits, and neither overwrites the other's sheets unseen.
    with locks.exclusive(target):
        old_snapshot = safefile.read_snapshot(old_path)
        new_snapshot = safefile.read_snapshot(new_path)
        if into:
            safefile.check_writable(target, source=new_snapshot)
        old_model = _computable(old_snapshot.data, old_path)[0]
        new_model, parts = _computable(new_snapshot.data, new_path)
        try:
            comparison = comparing.compare(old_model, new_model)
        except WorkbookError as exc:  # the currencies differ
            raise WorkbookError(f"{new_path.name}: {exc}") from None
        book = render_compare.render(comparison, old_path.name, new_path.name)
        if into:
            book = _merged_into(new_snapshot.data, Rendered(book), new_path.name, parts)
        kept = safefile.write_atomic(target, book, source=new_snapshot if into else None)
    return CompareReport(old_path, new_path, comparison, target, kept,
                         render_compare.sheet_name(comparison.language), into)


def _merged_into(data: bytes, rendered: Rendered, name: str, parts) -> bytes:
    """The workbook with the comparison sheet replaced or added, the user's sheets and the
    tool's others kept, and the record of the tool's sheets (ownsheets) kept in step, so
    that a later fill still sees what was typed into its own sheets."""
    return packager.merge_result_sheets(
        data, rendered, name=name, parts=parts, keep_owned=True,
        written={ownsheets.PROPERTY: ownsheets.record_beside(parts, rendered)})


def _computable(data: bytes, path: Path):
    """A workbook's model and parts, once it reads, checks and computes without errors; else
    an error naming the workbook and its first error."""
    reading, problems = _analyse(data, path.name, None)
    errors = [p for p in problems if p.severity == "error"]
    if reading.model is not None and not errors:
        try:
            compute(reading.model)
        except SroiError as exc:
            errors = [getattr(exc, "problem", None) or Problem("", "", str(exc))]
    if reading.model is None or errors:
        first = str(errors[0]) if errors else "the workbook could not be read"
        more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        raise WorkbookError(f"{path.name}: {first}{more}")
    return reading.model, reading.parts


def _with_warnings(results: Results, problems: list[Problem]) -> Results:
    from dataclasses import replace

    warnings = tuple(p for p in problems if p.severity == "warning")
    return replace(results, warnings=warnings)


def _same(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _is_stale(data: bytes, fingerprint: str) -> bool:
    """True when the workbook has result sheets computed from other inputs than it has now."""
    from . import opc

    parts = opc.read_package(data)
    if not packager.owned_sheets(parts):
        return False
    stored = packager.read_property(parts, FINGERPRINT_PROPERTY)
    return stored is not None and stored != fingerprint


def headline(path: str, results) -> str:
    """The one-line summary of a computed analysis, as ``fill`` and ``check`` print it."""
    h = results.headline
    scenario = f" [{h.scenario}]" if h.scenario else ""
    if h.ratio is None:
        return f"{path}{scenario}: PV of outcomes {h.pv_value:,.2f}; no inputs, so no ratio"
    payback = (f"payback {h.payback_years:.1f} years" if h.payback_years is not None
               else "no payback within the horizon")
    return (f"{path}{scenario}: SROI ratio {h.ratio:.2f} (net {h.net_ratio:.2f}) · PV outcomes "
            f"{h.pv_value:,.2f} · PV inputs {h.pv_inputs:,.2f} · NPV {h.npv:,.2f} · {payback}")
