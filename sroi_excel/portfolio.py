"""Several analyses side by side: what a municipality makes across its interventions.

``build`` is pure: models in, tables out. Every analysis is computed for its base values and
each of its scenarios. Totals are made per scenario name across the workbooks; an analysis
without a scenario of that name counts with its base values (the totals say which did), so a
"minimum" total over four projects works when only three of them vary. A stakeholder named the
same in several workbooks (the municipality) is summed across them: the second table. The
stakeholders' categories (municipality, health insurer, ...; schema.CATEGORIES) are summed the
same way, so that "CZ" in one workbook and "Achmea" in another count as one kind: the third.

``render_overview`` writes the overview workbook with xlsxwriter, including a native chart.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from . import __version__, schema
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
                  "net", "net_ratio", "category")
# Who pays and who gains by kind of party: the stakeholders with inputs or value summed by
# their category (schema.category_of) across the analyses, per scenario; "" is no category.
CATEGORY_COLUMNS = ("category", "label", "scenario", "analyses", "stakeholders", "inputs",
                    "value", "net", "ratio", "net_ratio", "share_inputs", "share_value")

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
    "label": T("Categorie", "Category"),
    "stakeholders": T("Aantal belanghebbenden", "Stakeholders"),
    "share_inputs": T("Aandeel inbreng", "Share of inputs"),
    "share_value": T("Aandeel opbrengsten", "Share of outcomes"),
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
    # CATEGORY_COLUMNS; empty when no workbook gives a category.
    categories: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(CATEGORY_COLUMNS)))
    # (stakeholder, analysis, file) of each stakeholder with inputs or value but no category,
    # at base values.
    uncategorised: tuple[tuple[str, str, str], ...] = ()

    def category(self, category: str, scenario: str | None) -> pd.Series:
        """One category summed over every analysis, for one scenario; the category in either
        language or as its key ("" for the stakeholders without one)."""
        label = self.totals.iloc[self._index(scenario)]["scenario"]
        wanted = schema.category_key(category)
        rows = self.categories[(self.categories["category"].map(schema.category_key) == wanted)
                               & (self.categories["scenario"] == label)]
        if rows.empty:
            raise KeyError(f"no category '{category}' in the portfolio")
        return rows.iloc[0]

    @property
    def stakeholder_count(self) -> int:
        """Stakeholders with inputs or value, counted per analysis, at base values."""
        base = self.detail[self.detail["scenario"] == self.totals.iloc[0]["scenario"]]
        return len(base)

    def total(self, scenario: str | None) -> pd.Series:
        """The totals row of one scenario (None: base values)."""
        return self.totals.iloc[self._index(scenario)]

    def stakeholder(self, name: str, scenario: str | None) -> pd.Series:
        """One stakeholder summed over every analysis, for one scenario."""
        label = self.totals.iloc[self._index(scenario)]["scenario"]
        rows = self.stakeholders[
            (self.stakeholders["stakeholder"].map(schema.name_key) == schema.name_key(name))
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

    total_rows, stakeholder_rows, detail_rows, category_rows = [], [], [], []
    kinds = [{schema.name_key(x.name): schema.category_of(x.category)
              for x in m.model.stakeholders} for m in done]
    for s in chosen:
        inputs = value = 0.0
        at_base = []
        sums: dict[str, list] = {}  # folded name -> [name, analyses, inputs, value]
        by_kind: dict[str, list] = {}  # folded category -> [category, analyses, n, in, value]
        for i, m in enumerate(done):
            used, r = m.for_scenario(s)
            if s is not None and used is None:
                at_base.append(m.name)
            inputs += r.headline.pv_inputs
            value += r.headline.pv_value
            for rec in r.stakeholders.itertuples(index=False):
                if not rec.inputs and not rec.value:
                    continue  # listed in the workbook but with nothing in or out
                key = schema.name_key(rec.stakeholder)
                entry = sums.setdefault(key, [unicodedata.normalize("NFC", rec.stakeholder),
                                              0, 0.0, 0.0])
                entry[1] += 1
                entry[2] += rec.inputs
                entry[3] += rec.value
                category = kinds[i].get(key, "")
                _add_category(by_kind, category, i, rec.inputs, rec.value)
                detail_rows.append((
                    entry[0], m.name, os.path.basename(m.file), label(s), label(used),
                    rec.inputs, rec.value, rec.value - rec.inputs,
                    _ratio(rec.value - rec.inputs, rec.inputs), category))
        total_rows.append((label(s), len(done), inputs, value, value - inputs,
                           _ratio(value, inputs), _ratio(value - inputs, inputs),
                           ", ".join(at_base)))
        for name, count, s_in, s_val in sums.values():
            stakeholder_rows.append((name, label(s), count, s_in, s_val, s_val - s_in,
                                     _ratio(s_val, s_in), _ratio(s_val - s_in, s_in)))
        if any(any(k.values()) for k in kinds):
            category_rows += _category_rows(by_kind, label(s), language, inputs, value)

    return Portfolio(
        members=tuple(done), failures=tuple(failed), scenarios=tuple(chosen),
        analyses=pd.DataFrame(analysis_rows, columns=list(ANALYSIS_COLUMNS)),
        totals=pd.DataFrame(total_rows, columns=list(TOTAL_COLUMNS)),
        stakeholders=pd.DataFrame(stakeholder_rows, columns=list(STAKEHOLDER_COLUMNS)),
        detail=pd.DataFrame(detail_rows, columns=list(DETAIL_COLUMNS)),
        language=language, currency=currency or "EUR",
        categories=pd.DataFrame(category_rows, columns=list(CATEGORY_COLUMNS)),
        uncategorised=tuple((r[0], r[1], r[2]) for r in detail_rows
                            if r[3] == label(None) and not r[-1]))


def _add_category(by_kind: dict[str, list], category: str, member: int, inputs: float,
                  value: float) -> None:
    """Count one stakeholder of one analysis in its category."""
    entry = by_kind.setdefault(category.casefold(), [category, set(), 0, 0.0, 0.0])
    entry[1].add(member)
    entry[2] += 1
    entry[3] += inputs
    entry[4] += value


def _category_rows(by_kind: dict[str, list], scenario: str, lang: str, inputs: float,
                   value: float) -> list[tuple]:
    """One scenario's rows of the categories table, in the order of schema.category_rank."""
    rows = []
    for category, members, count, c_in, c_val in sorted(
            by_kind.values(), key=lambda e: schema.category_rank(e[0])):
        rows.append((category, schema.category_label(category, lang), scenario, len(members),
                     count, c_in, c_val, c_val - c_in, _ratio(c_val, c_in),
                     _ratio(c_val - c_in, c_in), c_in / inputs if inputs else 0.0,
                     c_val / value if value else 0.0))
    return rows


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
    if not portfolio.categories.empty:
        _category_sheet(book, fmt, portfolio, lang)
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
          "discount_rate": "rate", "horizon": "integer", "analyses": "integer",
          "stakeholders": "integer", "share_inputs": "percent", "share_value": "percent"}
_WIDTH = {"analysis": 40, "file": 30, "scenario": 18, "stakeholder": 28, "base_for": 40}


def _header(ws, fmt, row: int, keys: Sequence[str], lang: str) -> None:
    for c, key in enumerate(keys):
        ws.write_string(row, c, LABELS[key](lang), fmt["header"])
    ws.set_row(row, 32)


def _table(ws, fmt, row: int, frame: pd.DataFrame, keys: Sequence[str], lang: str,
           money: tuple[str, str, str], more=None) -> int:
    """Write a table whose net and ratios are live formulas; return the next free row.
    ``more(r)`` gives more formulas of row ``r`` (1-based) by key."""
    inputs_key, value_key, net_key = money
    _header(ws, fmt, row, keys, lang)
    col = {k: xl_col_to_name(i) for i, k in enumerate(keys)}
    row += 1
    na = T("n.v.t.", "n/a")(lang)
    for rec in frame[list(keys)].itertuples(index=False):
        r = row + 1
        formulas = {net_key: f"={col[value_key]}{r}-{col[inputs_key]}{r}",
                    "ratio": f"={col[value_key]}{r}/{col[inputs_key]}{r}",
                    "net_ratio": f"={col[net_key]}{r}/{col[inputs_key]}{r}",
                    **(more(r) if more else {})}
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
    header_row = _pivot_header(ws, fmt, row, p, LABELS["analysis"](lang))
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
                rows = results.stakeholders[results.stakeholders["stakeholder"].map(
                    schema.name_key) == schema.name_key(stakeholder)]
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


def _pivot_header(ws, fmt, row: int, p: Portfolio, first: str) -> int:
    """A pivot's header: ``first``, then the portfolio's scenarios; its row."""
    ws.write_string(row, 0, first, fmt["header"])
    for c, label in enumerate(p.totals["scenario"], 1):
        ws.write_string(row, c, label, fmt["header"])
    ws.set_row(row, 32)
    return row


def _has(p: Portfolio, stakeholder: str, analysis: str) -> bool:
    d = p.detail
    return bool(((d["stakeholder"].map(schema.name_key) == schema.name_key(stakeholder))
                 & (d["analysis"] == analysis)).any())


def _chart(book, ws, p: Portfolio, header_row: int, first: int, last: int,
           anchor: tuple[int, int], title: str, height: int = 380) -> None:
    """A native column chart of a pivot block: one series per scenario, analyses along x."""
    chart = book.add_chart({"type": "column"})
    sheet = ws.get_name().replace("'", "''")
    for c in range(1, len(p.scenarios) + 1):
        letter = xl_col_to_name(c)
        chart.add_series({
            "name": [ws.get_name(), header_row, c],
            "categories": f"='{sheet}'!$A${first + 1}:$A${last + 1}",
            "values": f"='{sheet}'!${letter}${first + 1}:${letter}${last + 1}",
        })
    chart.set_title({"name": title})
    chart.set_y_axis({"num_format": schema.currency_format(p.currency, 0),
                      "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 860, "height": height})
    ws.insert_chart(*anchor, chart)


def _sheet(book, name: str):
    """A sheet printed on A4 landscape, one page wide."""
    ws = book.add_worksheet(name)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    return ws


def _stakeholder_sheet(book, fmt, p: Portfolio, lang: str) -> None:
    ws = _sheet(book, T("Per belanghebbende", "By stakeholder")(lang))
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


CATEGORY_KEYS = ("label", "scenario", "analyses", "stakeholders", "inputs", "value", "net",
                 "ratio", "net_ratio", "share_inputs", "share_value")


def uncategorised_note(p: Portfolio, lang: str) -> str:
    """How many stakeholders have no category, and which."""
    if not p.uncategorised:
        return T("Elke belanghebbende met inbreng of opbrengsten heeft een categorie.",
                 "Every stakeholder with inputs or outcomes has a category.")(lang)
    which = "; ".join(f"{name} ({analysis})" for name, analysis, _ in p.uncategorised)
    none = schema.NO_CATEGORY(lang)
    return T(f"Zonder categorie: {len(p.uncategorised)} van de {p.stakeholder_count} "
             f"belanghebbenden met inbreng of opbrengsten, geteld als '{none}': {which}.",
             f"Without a category: {len(p.uncategorised)} of the {p.stakeholder_count} "
             f"stakeholders with inputs or outcomes, counted as '{none}': {which}.")(lang)


def _category_sheet(book, fmt, p: Portfolio, lang: str) -> None:
    """Who pays and who gains by category: the totals per category and scenario, the net per
    category as a pivot with a chart, and which stakeholders each category holds."""
    ws = _sheet(book, T("Per categorie", "By category")(lang))
    # The category, the scenario or stakeholder, the number or name of the analyses, figures.
    ws.set_column(0, 1, 26)
    ws.set_column(2, 2, 44)
    ws.set_column(3, 3, 17)
    ws.set_column(4, len(CATEGORY_KEYS) - 1, 14)
    ws.write_string(0, 0, T("Per categorie: wie betaalt, wie wint, opgeteld over de analyses",
                            "By category: who pays, who gains, summed across the analyses"
                            )(lang), fmt["title"])
    ws.write_string(1, 0, T(
        "Belanghebbenden opgeteld naar hun categorie (kolom Categorie op het tabblad "
        "Belanghebbenden), ook waar ze per analyse anders heten. Aandelen: van de totale "
        "inbreng en opbrengsten van het scenario.",
        "Stakeholders summed by their category (column Category on the Stakeholders sheet), "
        "also where they are named differently per analysis. Shares: of the scenario's total "
        "inputs and outcomes.")(lang), fmt["subtitle"])
    ws.write_string(2, 0, uncategorised_note(p, lang), fmt["subtitle"])
    header = 4
    first, last = header + 1, header + len(p.categories)
    col = {k: xl_col_to_name(i) for i, k in enumerate(CATEGORY_KEYS)}

    def span(key: str) -> str:
        return f"${col[key]}${first + 1}:${col[key]}${last + 1}"

    def shares(r: int) -> dict[str, str]:
        out = {}
        for key, over in (("share_inputs", "inputs"), ("share_value", "value")):
            total = f"SUMPRODUCT(({span('scenario')}={col['scenario']}{r})*{span(over)})"
            out[key] = f"=IF({total}=0,0,{col[over]}{r}/{total})"
        return out

    row = _table(ws, fmt, header, p.categories, CATEGORY_KEYS, lang,
                 ("inputs", "value", "net"), more=shares) + 1
    ws.write_string(row, 0, T("Netto per categorie", "Net by category")(lang), fmt["section"])
    top, end, pivot_header = _category_pivot(ws, fmt, row + 1, p, lang, span)
    title = T("Netto per categorie en scenario", "Net by category and scenario")(lang)
    _chart(book, ws, p, pivot_header, top, end, (end + 3, 0), title)
    row = end + 25
    ws.write_string(row, 0, T("Welke belanghebbenden (basiswaarden)",
                              "Which stakeholders (base values)")(lang), fmt["section"])
    base = p.detail[p.detail["scenario"] == p.totals.iloc[0]["scenario"]]
    members = pd.DataFrame(
        sorted(((schema.category_label(r.category, lang), r.stakeholder, r.analysis, r.inputs,
                 r.value, r.value - r.inputs, schema.category_rank(r.category))
                for r in base.itertuples(index=False)), key=lambda x: x[-1]),
        columns=["label", "stakeholder", "analysis", "inputs", "value", "net", "rank"])
    _table(ws, fmt, row + 1, members, ("label", "stakeholder", "analysis", "inputs", "value",
                                       "net"), lang, ("inputs", "value", "net"))


def _category_pivot(ws, fmt, row: int, p: Portfolio, lang: str, span
                    ) -> tuple[int, int, int]:
    """Categories down, scenarios across: the net of each, a formula over the table above."""
    header_row = _pivot_header(ws, fmt, row, p, LABELS["label"](lang))
    labels = list(dict.fromkeys(p.categories["label"]))
    for i, label in enumerate(labels):
        r = header_row + 1 + i
        ws.write_string(r, 0, label, fmt["text"])
        for c, scenario in enumerate(p.totals["scenario"], 1):
            found = p.categories[(p.categories["label"] == label)
                                 & (p.categories["scenario"] == scenario)]
            head = xl_rowcol_to_cell(header_row, c, row_abs=True)
            text = (f"=SUMPRODUCT(({span('label')}=$A{r + 1})*({span('scenario')}={head})"
                    f"*{span('net')})")
            ws.write_formula(r, c, text, fmt["money"], float(found["net"].sum()))
    first, last = header_row + 1, header_row + len(labels)
    ws.write_string(last + 1, 0, T("Totaal", "Total")(lang), fmt["total_label"])
    for c, scenario in enumerate(p.scenarios, 1):
        cell = f"{xl_rowcol_to_cell(first, c)}:{xl_rowcol_to_cell(last, c)}"
        ws.write_formula(last + 1, c, f"=SUM({cell})", fmt["total_money"],
                         float(p.total(scenario)["npv"]))
    return first, last, header_row
