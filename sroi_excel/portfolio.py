"""Several analyses side by side: what a municipality makes across its interventions.

``build`` is pure: models in, tables out. Every analysis is computed for its base values and
each of its scenarios. Totals are made per scenario name across the workbooks; an analysis
without a scenario of that name counts with its base values (the totals say which did), so a
"minimum" total over four projects works when only three of them vary. A stakeholder named the
same in several workbooks (the municipality) is summed across them: the second table.

``render_overview`` writes the overview workbook with xlsxwriter, including a native chart.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from . import __version__, charts, schema
from .engine import Results, compute
from .exceptions import Problem, ScenarioError, SroiError
from .model import Model
from .render_layout import fill_date
from .schema import STYLES, Text

T = Text

ANALYSIS_COLUMNS = ("analysis", "file", "scenario", "horizon", "discount_rate", "pv_inputs",
                    "pv_value", "npv", "ratio", "net_ratio")
TOTAL_COLUMNS = ("scenario", "analyses", "pv_inputs", "pv_value", "npv", "ratio", "net_ratio",
                 "base_for")
STAKEHOLDER_COLUMNS = ("stakeholder", "scenario", "analyses", "inputs", "value", "net", "ratio",
                       "net_ratio")
DETAIL_COLUMNS = ("stakeholder", "analysis", "file", "scenario", "used", "inputs", "value",
                  "net", "net_ratio")

BASE = T("basiswaarden", "base values")
LABELS = {
    "analysis": T("Analyse", "Analysis"),
    "file": T("Bestand", "File"),
    "scenario": T("Scenario", "Scenario"),
    "horizon": T("Horizon (jaren)", "Horizon (years)"),
    "discount_rate": T("Discontovoet", "Discount rate"),
    "pv_inputs": T("Inbreng (contante waarde)", "Inputs (present value)"),
    "pv_value": T("Opbrengsten (contante waarde)", "Outcomes (present value)"),
    "npv": T("Netto", "Net"),
    "ratio": T("SROI-ratio", "SROI ratio"),
    "net_ratio": T("Netto ratio", "Net ratio"),
    "analyses": T("Aantal analyses", "Analyses"),
    "base_for": T("Met basiswaarden geteld", "Counted at base values"),
    "stakeholder": T("Belanghebbende", "Stakeholder"),
    "inputs": T("Inbreng", "Inputs"),
    "value": T("Opbrengsten", "Outcomes"),
    "net": T("Netto", "Net"),
}


@dataclass(frozen=True)
class Member:
    """One workbook that was read: its file name, model and results per scenario."""

    file: str
    model: Model
    results: dict[str | None, Results]  # None: base values; else the scenario's own name

    @property
    def name(self) -> str:
        return self.model.settings.name or os.path.splitext(os.path.basename(self.file))[0]

    def for_scenario(self, wanted: str | None) -> tuple[str | None, Results]:
        """The results for a portfolio scenario: the workbook's own, or its base values."""
        if wanted is not None:
            for own, results in self.results.items():
                if own is not None and own.casefold() == wanted.casefold():
                    return own, results
        return None, self.results[None]


@dataclass(frozen=True)
class Failure:
    """A workbook left out of the overview, and why."""

    file: str
    reason: str
    problems: tuple[Problem, ...] = field(default=())

    def __str__(self) -> str:
        if self.reason.startswith(self.file) or self.reason.startswith(
                os.path.basename(self.file)):
            return self.reason
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class Portfolio:
    """The overview's tables (pandas DataFrames with the *_COLUMNS above)."""

    members: tuple[Member, ...]
    failures: tuple[Failure, ...]
    scenarios: tuple[str | None, ...]  # the totals' scenarios; None (base values) first
    analyses: pd.DataFrame
    totals: pd.DataFrame
    stakeholders: pd.DataFrame
    detail: pd.DataFrame
    language: str
    currency: str

    def total(self, scenario: str | None) -> pd.Series:
        """The totals row of one scenario (None: base values)."""
        return self.totals.iloc[self._index(scenario)]

    def stakeholder(self, name: str, scenario: str | None) -> pd.Series:
        """One stakeholder summed over every analysis, for one scenario."""
        label = self.totals.iloc[self._index(scenario)]["scenario"]
        rows = self.stakeholders[
            (self.stakeholders["stakeholder"].str.casefold() == name.casefold())
            & (self.stakeholders["scenario"] == label)]
        if rows.empty:
            raise KeyError(f"no stakeholder named '{name}' in the portfolio")
        return rows.iloc[0]

    def _index(self, scenario: str | None) -> int:
        for i, s in enumerate(self.scenarios):
            if (s is None and scenario is None) or (
                    s is not None and scenario is not None and s.casefold() == scenario.casefold()):
                return i
        raise KeyError(f"the portfolio has no scenario '{scenario}'")


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def build(members: Sequence[tuple[str, Model]], scenarios: Sequence[str] | None = None,
          failures: Sequence[Failure] = (), lang: str | None = None) -> Portfolio:
    """Compute every analysis for its base values and scenarios, and the totals across them."""
    done: list[Member] = []
    failed = list(failures)
    currency = None
    for file, model in members:
        if currency is None:
            currency = model.settings.currency.upper()
        elif model.settings.currency.upper() != currency:
            failed.append(Failure(file, (
                f"uses {model.settings.currency.upper()} while the other workbooks use "
                f"{currency}; amounts in different currencies cannot be added")))
            continue
        try:
            results = {None: compute(model, scenario="")}
            for s in model.scenarios:
                results[s.name] = compute(model, s.name)
        except (SroiError, ValueError) as exc:
            failed.append(Failure(file, str(exc)))
            continue
        done.append(Member(file, model, results))
    chosen = _portfolio_scenarios(done, scenarios)
    language = lang or (done[0].model.language if done else "en")
    base = BASE(language)

    def label(s: str | None) -> str:
        return base if s is None else s

    analysis_rows = []
    for m in done:
        for own, r in m.results.items():
            h = r.headline
            analysis_rows.append((
                m.name, os.path.basename(m.file), label(own), h.years, h.discount_rate,
                h.pv_inputs, h.pv_value, h.npv, h.ratio, h.net_ratio))

    total_rows, stakeholder_rows, detail_rows = [], [], []
    for s in chosen:
        inputs = value = 0.0
        at_base = []
        sums: dict[str, list] = {}  # folded name -> [name, analyses, inputs, value]
        for m in done:
            used, r = m.for_scenario(s)
            if s is not None and used is None:
                at_base.append(m.name)
            inputs += r.headline.pv_inputs
            value += r.headline.pv_value
            for rec in r.stakeholders.itertuples(index=False):
                if not rec.inputs and not rec.value:
                    continue  # listed in the workbook but with nothing in or out
                key = rec.stakeholder.casefold()
                entry = sums.setdefault(key, [rec.stakeholder, 0, 0.0, 0.0])
                entry[1] += 1
                entry[2] += rec.inputs
                entry[3] += rec.value
                detail_rows.append((
                    entry[0], m.name, os.path.basename(m.file), label(s), label(used),
                    rec.inputs, rec.value, rec.value - rec.inputs,
                    _ratio(rec.value - rec.inputs, rec.inputs)))
        total_rows.append((label(s), len(done), inputs, value, value - inputs,
                           _ratio(value, inputs), _ratio(value - inputs, inputs),
                           ", ".join(at_base)))
        for name, count, s_in, s_val in sums.values():
            stakeholder_rows.append((name, label(s), count, s_in, s_val, s_val - s_in,
                                     _ratio(s_val, s_in), _ratio(s_val - s_in, s_in)))

    return Portfolio(
        members=tuple(done), failures=tuple(failed), scenarios=tuple(chosen),
        analyses=pd.DataFrame(analysis_rows, columns=list(ANALYSIS_COLUMNS)),
        totals=pd.DataFrame(total_rows, columns=list(TOTAL_COLUMNS)),
        stakeholders=pd.DataFrame(stakeholder_rows, columns=list(STAKEHOLDER_COLUMNS)),
        detail=pd.DataFrame(detail_rows, columns=list(DETAIL_COLUMNS)),
        language=language, currency=currency or "EUR")


def _portfolio_scenarios(members: Sequence[Member],
                         wanted: Sequence[str] | None) -> list[str | None]:
    found: dict[str, str] = {}
    for m in members:
        for own in m.results:
            if own is not None:
                found.setdefault(own.casefold(), own)
    if not wanted:
        return [None, *found.values()]
    chosen: list[str | None] = [None]
    for name in wanted:
        key = name.strip().casefold()
        if key not in found:
            known = ", ".join(found.values()) or "none"
            raise ScenarioError(f"no workbook has a scenario named '{name}' (scenarios: "
                                f"{known})")
        if found[key] not in chosen:
            chosen.append(found[key])
    return chosen


def shared_stakeholders(portfolio: Portfolio) -> list[str]:
    """Stakeholders that have inputs or value in more than one analysis, in order of appearance."""
    first = portfolio.stakeholders[portfolio.stakeholders["scenario"]
                                   == portfolio.totals.iloc[0]["scenario"]]
    return [r.stakeholder for r in first.itertuples(index=False) if r.analyses > 1]


# -- rendering --------------------------------------------------------------------------------

def render_overview(portfolio: Portfolio, today: dt.date | None = None) -> bytes:
    """The overview workbook as .xlsx bytes: tables per analysis, totals, stakeholders, chart."""
    lang = portfolio.language
    today = today or fill_date()  # one rule for the date (SOURCE_DATE_EPOCH: reproducible)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": T("Portefeuille-overzicht", "Portfolio overview")(lang),
                         "creator": f"sroi-excel {__version__}",
                         "created": dt.datetime(today.year, today.month, today.day)})
    fmt = _formats(book, portfolio.currency)
    _overview_sheet(book, fmt, portfolio, lang, today)
    _stakeholder_sheet(book, fmt, portfolio, lang)
    book.close()
    return out.getvalue()


def _formats(book, currency: str) -> dict:
    base = {"font_name": schema.FONT}
    fmt = {name: book.add_format({**base, **props}) for name, props in STYLES.items()}
    money = schema.currency_format(currency)
    fmt["money"] = book.add_format({**base, "num_format": money})
    fmt["total_money"] = book.add_format({**base, **STYLES["total_number"], "num_format": money})
    fmt["section"] = book.add_format({**base, "bold": True, "font_size": 12,
                                      "font_color": schema.HEADER_FILL})
    return fmt


_STYLE = {"pv_inputs": "money", "pv_value": "money", "npv": "money", "inputs": "money",
          "value": "money", "net": "money", "ratio": "ratio", "net_ratio": "ratio",
          "discount_rate": "rate", "horizon": "integer", "analyses": "integer"}
_WIDTH = {"analysis": 40, "file": 30, "scenario": 18, "stakeholder": 28, "base_for": 40}


def _header(ws, fmt, row: int, keys: Sequence[str], lang: str) -> None:
    for c, key in enumerate(keys):
        ws.write_string(row, c, LABELS[key](lang), fmt["header"])
    ws.set_row(row, 32)


def _table(ws, fmt, row: int, frame: pd.DataFrame, keys: Sequence[str], lang: str,
           money: tuple[str, str, str]) -> int:
    """Write a table whose net and ratios are live formulas; return the next free row."""
    inputs_key, value_key, net_key = money
    _header(ws, fmt, row, keys, lang)
    col = {k: xl_col_to_name(i) for i, k in enumerate(keys)}
    row += 1
    na = T("n.v.t.", "n/a")(lang)
    for rec in frame[list(keys)].itertuples(index=False):
        r = row + 1
        formulas = {net_key: f"={col[value_key]}{r}-{col[inputs_key]}{r}",
                    "ratio": f"={col[value_key]}{r}/{col[inputs_key]}{r}",
                    "net_ratio": f"={col[net_key]}{r}/{col[inputs_key]}{r}"}
        for c, key in enumerate(keys):
            value = getattr(rec, key)
            style = fmt[_STYLE.get(key, "text")]
            if key in ("ratio", "net_ratio") and (value is None or pd.isna(value)):
                ws.write_string(row, c, na, fmt["text"])
            elif isinstance(value, str):
                ws.write_string(row, c, value, style)  # names from workbooks: never formulas
            elif key in formulas:
                ws.write_formula(row, c, formulas[key], style, float(value))
            else:
                ws.write_number(row, c, float(value), style)
        row += 1
    return row


def _overview_sheet(book, fmt, p: Portfolio, lang: str, today: dt.date) -> None:
    ws = book.add_worksheet(T("Overzicht", "Overview")(lang))
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    for c, key in enumerate(ANALYSIS_COLUMNS):
        ws.set_column(c, c, _WIDTH.get(key, 16))
    title = T("Portefeuille-overzicht", "Portfolio overview")(lang)
    ws.write_string(0, 0, title, fmt["title"])
    ws.write_string(1, 0, T(
        f"{len(p.members)} analyses · berekend {today.isoformat()} · sroi-excel {__version__}",
        f"{len(p.members)} analyses · computed {today.isoformat()} · sroi-excel {__version__}"
    )(lang), fmt["subtitle"])
    ws.write_string(2, 0, T(
        "Contante waarden per analyse, elk met de eigen discontovoet en horizon. Netto ratio ="
        " (opbrengsten - inbreng) / inbreng. Een analyse zonder een scenario telt in dat "
        "totaal mee met haar basiswaarden.",
        "Present values per analysis, each with its own discount rate and horizon. Net ratio "
        "= (outcomes - inputs) / inputs. An analysis without a scenario counts with its base "
        "values in that scenario's total.")(lang), fmt["subtitle"])
    row = 4
    if p.failures:
        ws.write_string(row, 0, T("Niet meegeteld", "Left out")(lang), fmt["section"])
        row += 1
        for failure in p.failures:
            ws.write_string(row, 0, str(failure), fmt["warning"])
            row += 1
        row += 1
    ws.write_string(row, 0, T("Per analyse en scenario", "By analysis and scenario")(lang),
                    fmt["section"])
    row = _table(ws, fmt, row + 1, p.analyses, ANALYSIS_COLUMNS, lang,
                 ("pv_inputs", "pv_value", "npv")) + 1
    ws.write_string(row, 0, T("Totaal per scenario", "Totals by scenario")(lang),
                    fmt["section"])
    row = _table(ws, fmt, row + 1, p.totals, TOTAL_COLUMNS, lang,
                 ("pv_inputs", "pv_value", "npv")) + 1
    ws.write_string(row, 0, T("Netto per analyse", "Net by analysis")(lang), fmt["section"])
    row += 1
    first, last, header_row = _pivot(ws, fmt, row, p, lang)
    _chart(book, ws, p, header_row, first, last, (last + 3, 0),
           T("Netto per analyse en scenario", "Net by analysis and scenario")(lang))


def _pivot(ws, fmt, row: int, p: Portfolio, lang: str,
           stakeholder: str | None = None) -> tuple[int, int, int]:
    """Analyses down, the portfolio's scenarios across, a total row of SUM formulas."""
    labels = list(p.totals["scenario"])
    ws.write_string(row, 0, LABELS["analysis"](lang), fmt["header"])
    for c, label in enumerate(labels, 1):
        ws.write_string(row, c, label, fmt["header"])
    ws.set_row(row, 32)
    header_row = row
    row += 1
    first = row
    for m in p.members:
        if stakeholder is not None and not _has(p, stakeholder, m.name):
            continue
        ws.write_string(row, 0, m.name, fmt["text"])
        for c, s in enumerate(p.scenarios, 1):
            _, results = m.for_scenario(s)
            if stakeholder is None:
                value = results.headline.npv
            else:
                rows = results.stakeholders[results.stakeholders["stakeholder"].str.casefold()
                                            == stakeholder.casefold()]
                value = float(rows["net"].sum())
            ws.write_number(row, c, value, fmt["money"])
        row += 1
    last = row - 1
    ws.write_string(row, 0, T("Totaal", "Total")(lang), fmt["total_label"])
    for c, s in enumerate(p.scenarios, 1):
        if stakeholder is None:
            total = float(p.total(s)["npv"])
        else:
            total = float(p.stakeholder(stakeholder, s)["net"])
        span = f"{xl_rowcol_to_cell(first, c)}:{xl_rowcol_to_cell(last, c)}"
        ws.write_formula(row, c, f"=SUM({span})", fmt["total_money"], total)
    return first, last, header_row


def _has(p: Portfolio, stakeholder: str, analysis: str) -> bool:
    d = p.detail
    return bool(((d["stakeholder"].str.casefold() == stakeholder.casefold())
                 & (d["analysis"] == analysis)).any())


def _chart(book, ws, p: Portfolio, header_row: int, first: int, last: int,
           anchor: tuple[int, int], title: str, height: int = 380) -> None:
    """A native column chart of a pivot block: one series per scenario, analyses along x."""
    chart = book.add_chart({"type": "column"})
    sheet = ws.get_name()
    for c in range(1, len(p.scenarios) + 1):
        chart.add_series({
            "name": charts.ref((sheet, header_row, c)),
            "categories": charts.ref((sheet, first, 0, last, 0)),
            "values": charts.ref((sheet, first, c, last, c)),
        })
    chart.set_title({"name": title})
    chart.set_y_axis({"num_format": schema.currency_format(p.currency, 0),
                      "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 860, "height": height})
    ws.insert_chart(*anchor, chart)


def _stakeholder_sheet(book, fmt, p: Portfolio, lang: str) -> None:
    ws = book.add_worksheet(T("Per belanghebbende", "By stakeholder")(lang))
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 8, 16)
    ws.write_string(0, 0, T("Per belanghebbende, opgeteld over de analyses",
                            "By stakeholder, summed across the analyses")(lang), fmt["title"])
    ws.write_string(1, 0, T(
        "Een belanghebbende met dezelfde naam in meerdere werkmappen (zoals de gemeente) wordt "
        "opgeteld: wat zij over alle projecten inbrengt en terugziet.",
        "A stakeholder with the same name in several workbooks (such as the council) is summed:"
        " what it puts in and gets back across all projects.")(lang), fmt["subtitle"])
    row = _table(ws, fmt, 3, p.stakeholders, STAKEHOLDER_COLUMNS, lang,
                 ("inputs", "value", "net")) + 1
    for name in shared_stakeholders(p):
        title = T(f"{name}: netto per analyse", f"{name}: net by analysis")(lang)
        ws.write_string(row, 0, title, fmt["section"])
        first, last, header_row = _pivot(ws, fmt, row + 1, p, lang, stakeholder=name)
        _chart(book, ws, p, header_row, first, last, (row + 1, len(p.scenarios) + 2), title,
               height=300)
        row = max(last + 3, row + 18)  # below this block's chart too
