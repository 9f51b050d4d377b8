"""Model -> results. Pure arithmetic: no files, no Excel, no printing.

The method is in ``shared/sroi-method.md``; the short version:

    gross(o,t)  = quantity(o,t) x proxy(o,t)
    impact(o,t) = gross x (1 - deadweight) x (1 - displacement) x (1 - attribution)
    value(o,t+k) += impact(o,t) x (1 - dropoff)^k          for k = 0 .. duration-1
    PV = sum value(t) / (1 + r)^t;  ratio = PV(value) / PV(inputs);  net = NPV / PV(inputs)
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from .check import plausibility
from .core import Frame, evaluate_amount, input_rate
from .exceptions import Problem, WorkbookError
from .model import Amount, Model, Outcome
from .schema import EXCLUSIONS, category_of, category_rank, name_key

if TYPE_CHECKING:
    import pandas as pd

# The detailed trail (Results.trail): one row per outcome, year of occurrence and year counted.
TRAIL_COLUMNS = (
    "outcome_no", "stakeholder", "outcome", "occurs_in", "year", "age", "quantity", "proxy",
    "gross", "deadweight", "displacement", "attribution", "claim", "impact", "dropoff",
    "persistence", "value", "discount_factor", "present_value",
)
# The compact trail fill writes: one row per outcome and run of consecutive years of
# occurrence with the same figures (a recurring outcome whose figures do not change by year is
# one row). ``values`` holds the value counted in each year 0..last year: the sum over the
# run's years of occurrence c of impact x (1 - drop-off)^(year - c) while that is < duration.
COHORT_COLUMNS = (
    "outcome_no", "stakeholder", "outcome", "occurs_from", "occurs_to", "quantity", "proxy",
    "gross", "deadweight", "displacement", "attribution", "claim", "impact", "dropoff",
    "duration", "values", "value", "present_value",
)
OUTCOME_COLUMNS = (
    "outcome_no", "stakeholder", "outcome", "indicator", "quantity", "proxy", "proxy_source",
    "deadweight", "attribution", "displacement", "dropoff", "claim", "duration", "first_year",
    "recurring", "gross", "value", "present_value", "share",
)
INPUT_COLUMNS = (
    "input_no", "stakeholder", "description", "kind", "year", "amount", "discount_factor",
    "present_value", "hours", "rate",
)
# net_ratio = net / inputs: a municipal business case's "net savings per euro" for one party.
STAKEHOLDER_COLUMNS = ("stakeholder", "inputs", "value", "net", "ratio", "net_ratio")
# Who pays and who gains by kind of party (the stakeholders' categories, schema.category_of):
# made only when the stakeholders sheet gives a category, and then the stakeholders table has
# a "category" column after "stakeholder". "" is the stakeholders without one; shares are of
# the analysis' total inputs and outcomes.
CATEGORY_COLUMNS = ("category", "stakeholders", "inputs", "value", "net", "ratio", "net_ratio",
                    "share_inputs", "share_value")
YEAR_COLUMNS = (
    "year", "calendar_year", "inputs", "value", "discount_factor_inputs",
    "discount_factor_value", "pv_inputs", "pv_value", "cumulative_pv_inputs",
    "cumulative_pv_value", "cumulative_net",
)
QUALITATIVE_COLUMNS = ("stakeholder", "outcome", "indicator", "note")


@dataclass(frozen=True)
class Headline:
    """The figures a report leads with."""

    pv_value: float
    pv_inputs: float
    npv: float
    ratio: float | None  # PV(value) / PV(inputs); None without inputs
    net_ratio: float | None  # NPV / PV(inputs)
    payback_years: float | None  # None: not reached within the horizon
    value_nominal: float
    inputs_nominal: float
    discount_rate: float
    input_rate: float
    discount_inputs: bool
    years: int  # the horizon
    last_year: int  # last year counted (beyond the horizon when the setting says so)
    scenario: str | None


@functools.lru_cache(maxsize=256)
def _record_type(columns: tuple[str, ...]) -> type:
    # One class per shape of table, not one per table: a class is a reference cycle, left for
    # the cycle collector with everything the table held.
    return namedtuple("Record", columns)  # noqa: PYI024


class Rows:
    """A result table: column names and row tuples; a pandas DataFrame only when asked for."""

    __slots__ = ("columns", "rows", "_record")

    def __init__(self, columns: tuple[str, ...] | list[str], rows: list[tuple]):
        self.columns = tuple(columns)
        self.rows = rows
        self._record = _record_type(self.columns)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"Rows({len(self.rows)} x {self.columns})"

    def column(self, key: str) -> list:
        """The values of one column, top to bottom."""
        at = self.columns.index(key)
        return [row[at] for row in self.rows]

    def records(self) -> Iterator[Any]:
        """The rows as named tuples (``rec.value``)."""
        return map(self._record._make, self.rows)

    def record(self, i: int) -> Any:
        return self._record._make(self.rows[i])

    def frame(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (pandas is imported here, not by fill)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(self.columns))


def _table_frame(key: str) -> functools.cached_property:
    """A Results property: ``tables[key]`` as a pandas DataFrame, made once when asked for."""
    def frame(self: Results) -> pd.DataFrame:
        return self.tables[key].frame()

    frame.__doc__ = f"The {key} table as a pandas DataFrame."
    return functools.cached_property(frame)


@dataclass(frozen=True)
class Results:
    """Everything fill writes. ``tables`` holds the tables fill writes (as Rows); the
    properties give them as pandas DataFrames with the *_COLUMNS above, for Python callers."""

    model: Model
    scenario: str | None
    headline: Headline
    tables: dict[str, Rows]  # cohorts, outcomes, inputs, stakeholders, years, qualitative,
    # categories
    warnings: tuple[Problem, ...] = field(default=())

    @functools.cached_property
    def trail(self) -> pd.DataFrame:
        """One row per outcome, year of occurrence and year counted: the arithmetic in full."""
        factors = self.tables["years"].column("discount_factor_value")
        return _expand(self.tables["cohorts"], factors).frame()

    outcomes = _table_frame("outcomes")
    inputs = _table_frame("inputs")
    stakeholders = _table_frame("stakeholders")
    categories = _table_frame("categories")
    years = _table_frame("years")
    qualitative = _table_frame("qualitative")


def _expand(cohorts: Rows, factors: list[float]) -> Rows:
    """The compact trail as one row per outcome, year of occurrence and year counted."""
    extra = [c for c in cohorts.columns if c not in COHORT_COLUMNS]
    prices_at = [cohorts.columns.index(c) for c in extra if c != "price_note"]
    note_at = cohorts.columns.index("price_note") if "price_note" in extra else None
    columns = list(TRAIL_COLUMNS)
    if extra:
        at = columns.index("proxy")
        columns[at:at] = [c for c in extra if c != "price_note"]
        columns.append("price_note")
    rows = []
    for rec, row in zip(cohorts.records(), cohorts.rows, strict=True):
        priced = tuple(row[i] for i in prices_at)
        for t, age, year in _counted(rec.occurs_from, rec.occurs_to, rec.duration,
                                     len(factors) - 1):
            persistence = (1 - rec.dropoff) ** age
            value = rec.impact * persistence
            rows.append([rec.outcome_no, rec.stakeholder, rec.outcome, t, year, age,
                         rec.quantity, *priced, rec.proxy, rec.gross, rec.deadweight,
                         rec.displacement, rec.attribution, rec.claim, rec.impact,
                         rec.dropoff, persistence, value, factors[year], value * factors[year]]
                        + ([row[note_at]] if note_at is not None else []))
    return Rows(columns, [tuple(r) for r in rows])


def _counted(first: int, last: int, duration: int, last_year: int
             ) -> Iterator[tuple[int, int, int]]:
    """(year of occurrence, age, year counted) for the cohorts of a run, cohort by cohort."""
    for t in range(first, last + 1):
        for age in range(min(duration, last_year - t + 1)):
            yield t, age, t + age


def payback_period(inputs_cum: list[float], value_cum: list[float]) -> float | None:
    """When cumulative value first reaches cumulative inputs, in years.

    Index i of the lists is the end of year i (0 = the start). A year's inputs are counted at
    its start (the cautious reading: money goes in before value comes out) and its value
    accrues evenly, so the moment within the year is interpolated linearly. None when there are
    no inputs or the value never catches up within the years given.
    """
    if not inputs_cum or inputs_cum[-1] <= 0:
        return None
    if value_cum[0] >= inputs_cum[0] > 0:
        return 0.0
    for year in range(1, len(inputs_cum)):
        if value_cum[year] >= inputs_cum[year]:
            owed = inputs_cum[year] - value_cum[year - 1]
            earned = value_cum[year] - value_cum[year - 1]
            if owed <= 0:
                return float(year - 1)
            return year - 1 + owed / earned
    return None


class CohortRow(NamedTuple):
    """A row of the compact trail (COHORT_COLUMNS)."""

    outcome_no: int
    stakeholder: str
    outcome: str
    occurs_from: int
    occurs_to: int
    quantity: float
    proxy: float
    gross: float
    deadweight: float
    displacement: float
    attribution: float
    claim: float
    impact: float
    dropoff: float
    duration: int
    values: tuple[float, ...]
    value: float
    present_value: float


class OutcomeRow(NamedTuple):
    """A row of the outcomes table (OUTCOME_COLUMNS): the figures of its first year counted,
    and its totals over all years."""

    outcome_no: int
    stakeholder: str
    outcome: str
    indicator: str
    quantity: float
    proxy: float
    proxy_source: str
    deadweight: float
    attribution: float
    displacement: float
    dropoff: float
    claim: float
    duration: int
    first_year: int
    recurring: bool
    gross: float
    value: float
    present_value: float
    share: float


class InputRow(NamedTuple):
    """A row of the inputs table (INPUT_COLUMNS): one input in one year."""

    input_no: int
    stakeholder: str
    description: str
    kind: str
    year: int
    amount: float
    discount_factor: float
    present_value: float
    hours: float | None
    rate: float | None


@dataclass
class _Outcomes:
    """The outcomes' part of a computation."""

    cohorts: list[CohortRow]
    rows: list[OutcomeRow]
    value_by_year: list[float]
    value_by_stakeholder: dict[str, float]
    warnings: list[Problem]


@dataclass
class _Inputs:
    """The inputs' part of a computation."""

    rows: list[InputRow]
    by_year: list[float]
    by_stakeholder: dict[str, float]


def compute(model: Model, scenario: str | None = None) -> Results:
    """Compute every figure of the analysis for the base values or a named scenario."""
    frame = Frame(model, scenario if scenario is not None else model.settings.scenario)
    years = frame.years()
    outcomes = _outcomes(frame, years)
    inputs = _inputs(frame, years)
    year_rows = _years(frame, outcomes.value_by_year, inputs.by_year)
    headline = _headline(frame, year_rows)
    total = headline.pv_value
    outcome_rows = [row._replace(share=row.present_value / total) for row in outcomes.rows] \
        if total else outcomes.rows
    proxies = {row.outcome_no: model.outcomes[row.outcome_no - 1].proxy for row in outcome_rows}
    rates = {n: i.rate if i.kind == "hours" else i.amount for n, i in enumerate(model.inputs, 1)}
    tables = {
        "cohorts": _with_prices(Rows(COHORT_COLUMNS, outcomes.cohorts), "outcome_no", "proxy",
                                proxies, frame, model.language),
        "outcomes": Rows(OUTCOME_COLUMNS, outcome_rows),
        "inputs": _with_prices(Rows(INPUT_COLUMNS, inputs.rows), "input_no", "amount", rates,
                               frame, model.language),
        **_by_category(model, _stakeholders(model, outcomes.value_by_stakeholder,
                                            inputs.by_stakeholder)),
        "years": Rows(YEAR_COLUMNS, year_rows),
        "qualitative": Rows(QUALITATIVE_COLUMNS, [
            (o.stakeholder, o.name, o.indicator, _not_valued_note(o, model.language))
            for o in model.outcomes if not o.monetised]),
    }
    results = Results(model=model, scenario=frame.scenario, headline=headline, tables=tables,
                      warnings=tuple(outcomes.warnings))
    return replace(results, warnings=(*results.warnings, *plausibility(results)))


def _not_valued_note(o: Outcome, lang: str) -> str:
    """The note beside an outcome that is not valued: why it is excluded, if it is."""
    if o.excluded is None:
        return o.proxy_source
    why = EXCLUSIONS[o.excluded](lang)
    label = "Uitgesloten" if lang == "nl" else "Excluded"
    return f"{label} ({why}): {o.exclusion_reason}" if o.exclusion_reason else f"{label} ({why})"


def _outcomes(frame: Frame, years: list) -> _Outcomes:
    """Each monetised outcome's cohorts and totals, and the value per year and stakeholder."""
    last_year = frame.last_year
    done = _Outcomes([], [], [0.0] * (last_year + 1), {}, [])
    for number, o in enumerate(frame.model.outcomes, 1):
        if not o.monetised:
            continue
        cohorts = frame.cohorts(o, years)
        if not cohorts:
            done.warnings.append(Problem(
                o.at.sheet if o.at else "", o.at.ref if o.at else "",
                f"the outcome '{o.name}' starts in year {o.first_year}, outside the horizon of "
                f"{frame.horizon} years, so it adds nothing", "warning"))
        gross = value = pv = 0.0
        for c in cohorts:
            impact = c.impact
            counted = [0.0] * (last_year + 1)
            for year, share in frame.shares(c, o.duration):
                counted[year] = impact * share
                done.value_by_year[year] += counted[year]
            row = CohortRow(number, o.stakeholder, o.name, c.first, c.last, c.quantity, c.proxy,
                            c.gross, c.deadweight, c.displacement, c.attribution, c.claim, impact,
                            c.dropoff, o.duration, tuple(counted), sum(counted),
                            frame.present_value(c, o.duration))
            done.cohorts.append(row)
            gross += row.gross * (c.last - c.first + 1)
            value += row.value
            pv += row.present_value
        first = done.cohorts[-len(cohorts)] if cohorts else None
        nan = float("nan")
        done.rows.append(OutcomeRow(
            number, o.stakeholder, o.name, o.indicator, first.quantity if first else nan,
            first.proxy if first else nan, o.proxy_source,
            first.deadweight if first else nan, first.attribution if first else nan,
            first.displacement if first else nan, first.dropoff if first else nan,
            first.claim if first else nan, o.duration, o.first_year, o.recurring, gross, value,
            pv, 0.0))
        done.value_by_stakeholder[o.stakeholder] = (
            done.value_by_stakeholder.get(o.stakeholder, 0.0) + pv)
    return done


def _inputs(frame: Frame, years: list) -> _Inputs:
    """Each input per year it is put in, and the inputs per year and stakeholder."""
    done = _Inputs([], [0.0] * (frame.last_year + 1), {})
    for number, item in enumerate(frame.model.inputs, 1):
        for t, amount in frame.input_amounts(item, years):
            factor = frame.df_inputs[t]
            hours = rate = None
            if item.kind == "hours":
                values = years[max(t, 0)]
                hours = evaluate_amount(item.hours, values)
                rate = evaluate_amount(item.rate, values)
            done.rows.append(InputRow(number, item.stakeholder, item.description, item.kind, t,
                                      amount, factor, amount * factor, hours, rate))
            done.by_year[t] += amount
            done.by_stakeholder[item.stakeholder] = (
                done.by_stakeholder.get(item.stakeholder, 0.0) + amount * factor)
    return done


def _years(frame: Frame, value_by_year: list[float], inputs_by_year: list[float]
           ) -> list[tuple]:
    """Per year: inputs and value, discounted, and cumulated."""
    first_year = frame.model.settings.first_year
    rows = []
    cum_in = cum_val = 0.0
    for t in range(frame.last_year + 1):
        pv_in = inputs_by_year[t] * frame.df_inputs[t]
        pv_val = value_by_year[t] * frame.df_value[t]
        cum_in += pv_in
        cum_val += pv_val
        calendar = first_year + t - 1 if first_year and t > 0 else None
        rows.append((t, calendar, inputs_by_year[t], value_by_year[t], frame.df_inputs[t],
                     frame.df_value[t], pv_in, pv_val, cum_in, cum_val, cum_val - cum_in))
    return rows


def _headline(frame: Frame, year_rows: list[tuple]) -> Headline:
    years = Rows(YEAR_COLUMNS, year_rows)
    pv_value = sum(years.column("pv_value"))
    pv_inputs = sum(years.column("pv_inputs"))
    if not math.isfinite(pv_value) or not math.isfinite(pv_inputs):
        # Each figure is finite (the core checks) but their sum is not.
        raise WorkbookError("the figures add up to more than a spreadsheet can hold "
                            f"(outcomes {pv_value:,.6g}, inputs {pv_inputs:,.6g}); check the "
                            "quantities and proxies for a typing error")
    npv = pv_value - pv_inputs
    settings = frame.model.settings
    return Headline(
        pv_value=pv_value, pv_inputs=pv_inputs, npv=npv,
        ratio=pv_value / pv_inputs if pv_inputs else None,
        net_ratio=npv / pv_inputs if pv_inputs else None,
        payback_years=payback_period(years.column("cumulative_pv_inputs"),
                                     years.column("cumulative_pv_value")),
        value_nominal=sum(years.column("value")), inputs_nominal=sum(years.column("inputs")),
        discount_rate=settings.discount_rate, input_rate=input_rate(settings),
        discount_inputs=settings.discount_inputs, years=frame.horizon,
        last_year=frame.last_year, scenario=frame.scenario)


def _stakeholders(model: Model, value: dict[str, float], inputs: dict[str, float]
                  ) -> list[tuple]:
    """Who pays and who gains: the stakeholders sheet's order, then any others."""
    names = [s.name for s in model.stakeholders]
    for extra in (*value, *inputs):
        if extra not in names:
            names.append(extra)
    rows = []
    for name in names:
        inp = inputs.get(name, 0.0)
        val = value.get(name, 0.0)
        rows.append((name, inp, val, val - inp, val / inp if inp else None,
                     (val - inp) / inp if inp else None))
    return rows


def _by_category(model: Model, rows: list[tuple]) -> dict[str, Rows]:
    """The stakeholders table, and the categories table summing it by category: with a
    category column where the stakeholders sheet gives any category, else as it was."""
    given = {name_key(s.name): category_of(s.category) for s in model.stakeholders}
    if not any(given.values()):
        return {"stakeholders": Rows(STAKEHOLDER_COLUMNS, rows),
                "categories": Rows(CATEGORY_COLUMNS, [])}
    groups: dict[str, list] = {}  # folded category -> [category, stakeholders, inputs, value]
    with_category = []
    for row in rows:
        category = given.get(name_key(row[0]), "")
        # Free text in another case is the same category, spelt as where it is first given.
        entry = groups.setdefault(category.casefold(), [category, 0, 0.0, 0.0])
        with_category.append((row[0], entry[0], *row[1:]))
        entry[1] += 1
        entry[2] += row[1]
        entry[3] += row[2]
    total_in = sum(row[1] for row in rows)
    total_value = sum(row[2] for row in rows)
    found = []
    for category, count, inp, val in sorted(groups.values(),
                                            key=lambda g: category_rank(g[0])):
        found.append((category, count, inp, val, val - inp, val / inp if inp else None,
                      (val - inp) / inp if inp else None,
                      inp / total_in if total_in else 0.0,
                      val / total_value if total_value else 0.0))
    columns = (STAKEHOLDER_COLUMNS[0], "category", *STAKEHOLDER_COLUMNS[1:])
    return {"stakeholders": Rows(columns, with_category),
            "categories": Rows(CATEGORY_COLUMNS, found)}


# Added to the trail (and the inputs table) only where a proxy or rate names a reference price:
# the base price, the index of its base year and of the price year, and how the value was made.
PRICE_COLUMNS = ("price_item", "base_price", "base_year", "index_base", "index_price_year")


def _with_prices(table: Rows, key: str, before: str, amounts: dict[int, Amount | None],
                 frame: Frame, lang: str) -> Rows:
    """``table`` with the reference-price columns before ``before`` and a note at the end."""
    details = {n: frame.price(a) for n, a in amounts.items()
               if a is not None and a.price is not None}
    if not details:
        return table
    at = table.columns.index(before)
    numbers = table.columns.index(key)
    rows = []
    for row in table.rows:
        d = details.get(row[numbers])
        extra = ((d.reference.label, d.reference.price, d.reference.base_year, d.index_base,
                  d.index_price) if d else (None,) * len(PRICE_COLUMNS))
        rows.append((*row[:at], *extra, *row[at:], d.note(lang) if d else None))
    columns = (*table.columns[:at], *PRICE_COLUMNS, *table.columns[at:], "price_note")
    return Rows(columns, rows)
