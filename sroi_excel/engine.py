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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import formula, prices
from .exceptions import FormulaError, PriceIndexError, Problem, ScenarioError, WorkbookError
from .model import Amount, InputItem, Model, Outcome, ReferencePrice, Settings

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
    "present_value",
)
# net_ratio = net / inputs: a municipal business case's "net savings per euro" for one party.
STAKEHOLDER_COLUMNS = ("stakeholder", "inputs", "value", "net", "ratio", "net_ratio")
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
    tables: dict[str, Rows]  # cohorts, outcomes, inputs, stakeholders, years, qualitative
    warnings: tuple[Problem, ...] = field(default=())

    @functools.cached_property
    def trail(self) -> pd.DataFrame:
        """One row per outcome, year of occurrence and year counted: the arithmetic in full."""
        factors = self.tables["years"].column("discount_factor_value")
        return _expand(self.tables["cohorts"], factors).frame()

    outcomes = _table_frame("outcomes")
    inputs = _table_frame("inputs")
    stakeholders = _table_frame("stakeholders")
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
        for t, age, year in cohort_years(rec.occurs_from, rec.occurs_to, rec.duration,
                                         len(factors) - 1):
            persistence = (1 - rec.dropoff) ** age
            value = rec.impact * persistence
            rows.append([rec.outcome_no, rec.stakeholder, rec.outcome, t, year, age,
                         rec.quantity, *priced, rec.proxy, rec.gross, rec.deadweight,
                         rec.displacement, rec.attribution, rec.claim, rec.impact,
                         rec.dropoff, persistence, value, factors[year], value * factors[year]]
                        + ([row[note_at]] if note_at is not None else []))
    return Rows(columns, [tuple(r) for r in rows])


class AssumptionValues:
    """Assumption values for one year under one scenario, evaluated lazily and memoised."""

    def __init__(self, model: Model, overrides: dict[str, Amount], year: int):
        self._amounts: dict[str, Amount] = {}
        self._cells: dict[str, str] = {}
        for a in model.assumptions:
            key = a.name.casefold()
            per_year = dict(a.per_year)
            self._amounts[key] = overrides.get(key) or per_year.get(year) or a.value
            self._cells[key] = str(a.at) if a.at else a.name
        self._memo: dict[str, float] = {}
        self._busy: set[str] = set()
        self._model = model
        self._prices: dict[ReferencePrice, prices.Indexation] = {}

    def price(self, amount: Amount) -> prices.Indexation:
        """The reference price a cell names, indexed to the analysis price year."""
        ref = amount.price
        if ref not in self._prices:
            self._prices[ref] = index_amount(amount, self._model)
        return self._prices[ref]

    def name(self, name: str) -> float:
        key = name.casefold()
        if key in self._memo:
            return self._memo[key]
        amount = self._amounts.get(key)
        if amount is None:
            raise FormulaError(f"the name '{name}' is not an assumption on the assumptions sheet")
        if key in self._busy:
            raise FormulaError(f"the assumption '{name}' depends on itself (a circular formula)")
        self._busy.add(key)
        try:
            value = evaluate_amount(amount, self)
        finally:
            self._busy.discard(key)
        self._memo[key] = value
        return value

    def ref(self, sheet: str | None, cell: str) -> float:
        raise FormulaError(f"the cell reference {cell} was not resolved by the reader")

    def range(self, sheet: str | None, start: str, end: str) -> list[float]:
        raise FormulaError(f"the range {start}:{end} was not resolved by the reader")


def index_amount(amount: Amount, model: Model) -> prices.Indexation:
    """Index the reference price an amount names; a missing year is an error at its cell."""
    try:
        return prices.index_reference(amount.price, model.price_index,
                                      model.settings.price_year)
    except PriceIndexError as exc:
        where = (amount.at.sheet, amount.at.ref) if amount.at else ("", "")
        raise WorkbookError(str(exc), *where) from None


def evaluate_amount(amount: Amount, values: AssumptionValues) -> float:
    node = amount.node
    if type(node) is formula.Number and amount.price is None and math.isfinite(node.value):
        return float(node.value)  # what evaluate gives for it; most amounts are plain numbers
    if amount.price is not None and isinstance(values, AssumptionValues):
        return values.price(amount).value
    try:
        return float(formula.evaluate(amount.node, values))
    except FormulaError as exc:
        if amount.at is None:
            raise
        raise WorkbookError(f"{amount.text}: {exc}", amount.at.sheet, amount.at.ref) from None


def evaluate_percent(amount: Amount, values: AssumptionValues, label: str) -> float:
    value = evaluate_amount(amount, values)
    if not 0.0 <= value <= 1.0:
        where = (amount.at.sheet, amount.at.ref) if amount.at else ("", "")
        raise WorkbookError(
            f"{label} is {value:.0%}; it must be between 0% and 100%", *where)
    return value


def discount_factor(rate: float, year: int) -> float:
    """1 / (1 + rate)^year; year 0 and earlier are not discounted."""
    return 1.0 if year <= 0 else (1.0 + rate) ** -year


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


def scenario_overrides(model: Model, name: str | None) -> tuple[str | None, dict[str, Amount]]:
    """The scenario's proper name and its assumption values by folded name; base: (None, {})."""
    if not name:
        return None, {}
    found = model.scenario(name)
    if found is None:
        names = ", ".join(s.name for s in model.scenarios) or "none"
        raise ScenarioError(f"there is no scenario named '{name}' (scenarios: {names})")
    return found.name, {key.casefold(): amount for key, amount in found.overrides}


def outcome_years(o: Outcome, horizon: int) -> list[int]:
    """The years within the horizon in which an outcome occurs (each year, or once)."""
    occurs = range(o.first_year, horizon + 1) if o.recurring else (o.first_year,)
    return [t for t in occurs if 1 <= t <= horizon]


def input_years(item: InputItem, horizon: int) -> list[int]:
    """The years (0 = the start) in which an input is put in."""
    span = range(max(item.year, 0), horizon + 1) if item.recurring else (item.year,)
    return [t for t in span if t <= horizon]


def last_counted_year(model: Model) -> int:
    """The horizon, or the last year an outcome lasts into when those years count."""
    settings = model.settings
    last = settings.years
    if settings.beyond_horizon:
        for o in model.outcomes:
            if o.monetised:
                start_last = settings.years if o.recurring else o.first_year
                last = max(last, start_last + o.duration - 1)
    return last


def discount_factors(settings: Settings, last_year: int) -> tuple[list[float], list[float]]:
    """Discount factors of years 0..last_year for outcomes and for inputs."""
    in_rate = input_rate(settings)
    return ([discount_factor(settings.discount_rate, t) for t in range(last_year + 1)],
            [discount_factor(in_rate, t) for t in range(last_year + 1)])


def input_rate(settings: Settings) -> float:
    """The rate inputs are discounted at: none when the settings say they are not."""
    return settings.input_rate if settings.discount_inputs else 0.0


def _too_large(amount: Amount | None, what: str, check: str) -> None:
    at = amount.at if amount is not None else None
    raise WorkbookError(f"{what} is too large to compute; check the {check} for a typing "
                        "error", sheet=at.sheet if at else "", cell=at.ref if at else "")


def compute(model: Model, scenario: str | None = None) -> Results:
    """Compute every figure of the analysis for the base values or a named scenario."""
    settings = model.settings
    chosen, overrides = scenario_overrides(
        model, scenario if scenario is not None else settings.scenario)

    horizon = settings.years
    monetised = [(i, o) for i, o in enumerate(model.outcomes, 1) if o.monetised]
    last_year = last_counted_year(model)
    values_by_year = assumption_values(model, overrides, last_year)
    df_value, df_inputs = discount_factors(settings, last_year)

    cohort_rows: list[tuple] = []
    outcome_rows: list[tuple] = []
    value_by_year = [0.0] * (last_year + 1)
    value_by_stakeholder: dict[str, float] = {}
    warnings: list[Problem] = []
    for number, o in monetised:
        gross_total = impact_total = pv_total = 0.0
        first_quantity = first_proxy = float("nan")
        claim_first = float("nan")
        percentages = None
        runs: list[list] = []  # [first year, last year, values object, figures]
        for t in outcome_years(o, horizon):
            values = values_by_year[t]
            if runs and runs[-1][2] is values and runs[-1][1] == t - 1:
                runs[-1][1] = t  # the same figures as last year: one more year in the run
                continue
            quantity = evaluate_amount(o.quantity, values)
            proxy = evaluate_amount(o.proxy, values)
            dw = evaluate_percent(o.deadweight, values, "deadweight")
            at = evaluate_percent(o.attribution, values, "attribution")
            dp = evaluate_percent(o.displacement, values, "displacement")
            do = evaluate_percent(o.dropoff, values, "drop-off")
            gross = quantity * proxy
            if not math.isfinite(gross):
                _too_large(o.quantity, f"the outcome '{o.name}' in year {t}: quantity "
                           f"{quantity:,.6g} x proxy {proxy:,.6g}", "quantity and proxy")
            runs.append([t, t, values, (quantity, proxy, gross, dw, dp, at, do)])
        for first, last, _, (quantity, proxy, gross, dw, dp, at, do) in runs:
            claim = (1 - dw) * (1 - dp) * (1 - at)
            impact = gross * claim
            if percentages is None:
                percentages = (dw, at, dp, do)
                first_quantity, first_proxy, claim_first = quantity, proxy, claim
            gross_total += gross * (last - first + 1)
            # Totals summed cohort by cohort, year by year: the order the uncertainty
            # evaluator follows, so both agree to the last bit.
            row_value = row_pv = 0.0
            # What is left after each year of drop-off, computed once per run (the same
            # power as in every cohort's formula).
            duration = o.duration
            left = [(1 - do) ** age for age in range(max(duration, 1))]
            # cohort_years and counted_ages written out: this loop runs for every outcome,
            # year and age (~235,000 times at 10,000 outcomes), and the calls were half of it.
            for t in range(first, last + 1):
                for age in range(min(duration, last_year - t + 1)):
                    value = impact * left[age]
                    year = t + age
                    pv = value * df_value[year]
                    value_by_year[year] += value
                    impact_total += value
                    pv_total += pv
                    row_value += value
                    row_pv += pv
            # The value each year as the trail's formula computes it.
            counted = [0.0] * (last_year + 1)
            for year in range(first, min(last + duration - 1, last_year) + 1):
                counted[year] = impact * sum(left[max(0, year - last):
                                                  min(year - first, duration - 1) + 1])
            cohort_rows.append((
                number, o.stakeholder, o.name, first, last, quantity, proxy, gross, dw, dp, at,
                claim, impact, do, o.duration, tuple(counted), row_value, row_pv))
        if percentages is None:
            warnings.append(Problem(
                o.at.sheet if o.at else "", o.at.ref if o.at else "",
                f"the outcome '{o.name}' starts in year {o.first_year}, outside the horizon of "
                f"{horizon} years, so it adds nothing", "warning"))
            percentages = (float("nan"),) * 4
        value_by_stakeholder[o.stakeholder] = (
            value_by_stakeholder.get(o.stakeholder, 0.0) + pv_total)
        dw, at, dp, do = percentages
        outcome_rows.append((
            number, o.stakeholder, o.name, o.indicator, first_quantity, first_proxy,
            o.proxy_source, dw, at, dp, do, claim_first, o.duration, o.first_year, o.recurring,
            gross_total, impact_total, pv_total, 0.0))

    input_rows: list[tuple] = []
    inputs_by_year = [0.0] * (last_year + 1)
    inputs_by_stakeholder: dict[str, float] = {}
    for number, item in enumerate(model.inputs, 1):
        for t in input_years(item, horizon):
            values = values_by_year[max(t, 0)]
            if item.kind == "hours":
                amount = evaluate_amount(item.hours, values) * evaluate_amount(item.rate, values)
            else:
                amount = evaluate_amount(item.amount, values)
            if not math.isfinite(amount):
                _too_large(item.amount if item.kind != "hours" else item.hours,
                           f"the input '{item.description}' in year {t}: {amount:,.6g}",
                           "amount" if item.kind != "hours" else "hours and hourly rate")
            pv = amount * df_inputs[t]
            inputs_by_year[t] += amount
            inputs_by_stakeholder[item.stakeholder] = (
                inputs_by_stakeholder.get(item.stakeholder, 0.0) + pv)
            input_rows.append((number, item.stakeholder, item.description, item.kind, t, amount,
                               df_inputs[t], pv))

    pv_value = sum(v * f for v, f in zip(value_by_year, df_value, strict=True))
    pv_inputs = sum(v * f for v, f in zip(inputs_by_year, df_inputs, strict=True))
    npv = pv_value - pv_inputs
    ratio = pv_value / pv_inputs if pv_inputs else None
    net_ratio = npv / pv_inputs if pv_inputs else None

    year_rows = []
    cum_in = cum_val = 0.0
    cum_inputs: list[float] = []
    cum_values: list[float] = []
    for t in range(last_year + 1):
        pv_in = inputs_by_year[t] * df_inputs[t]
        pv_val = value_by_year[t] * df_value[t]
        cum_in += pv_in
        cum_val += pv_val
        cum_inputs.append(cum_in)
        cum_values.append(cum_val)
        calendar = settings.first_year + t - 1 if settings.first_year and t > 0 else None
        year_rows.append((t, calendar, inputs_by_year[t], value_by_year[t], df_inputs[t],
                          df_value[t], pv_in, pv_val, cum_in, cum_val, cum_val - cum_in))

    names = [s.name for s in model.stakeholders]
    for extra in (*value_by_stakeholder, *inputs_by_stakeholder):
        if extra not in names:
            names.append(extra)
    stakeholder_rows = []
    for name in names:
        inp = inputs_by_stakeholder.get(name, 0.0)
        val = value_by_stakeholder.get(name, 0.0)
        stakeholder_rows.append((name, inp, val, val - inp, val / inp if inp else None,
                                 (val - inp) / inp if inp else None))

    if pv_value:
        outcome_rows = [(*row[:-1], row[-2] / pv_value) for row in outcome_rows]
    qualitative = [(o.stakeholder, o.name, o.indicator, o.proxy_source)
                   for o in model.outcomes if not o.monetised]

    headline = Headline(
        pv_value=pv_value, pv_inputs=pv_inputs, npv=npv, ratio=ratio, net_ratio=net_ratio,
        payback_years=payback_period(cum_inputs, cum_values),
        value_nominal=sum(value_by_year), inputs_nominal=sum(inputs_by_year),
        discount_rate=settings.discount_rate, input_rate=input_rate(settings),
        discount_inputs=settings.discount_inputs, years=horizon, last_year=last_year,
        scenario=chosen or None)
    if not math.isfinite(pv_value) or not math.isfinite(pv_inputs):
        # Each figure is finite (checked above) but their sum is not.
        raise WorkbookError("the figures add up to more than a spreadsheet can hold "
                            f"(outcomes {pv_value:,.6g}, inputs {pv_inputs:,.6g}); check the "
                            "quantities and proxies for a typing error")
    proxies = {n: o.proxy for n, o in monetised}
    rates = {n: i.rate if i.kind == "hours" else i.amount for n, i in enumerate(model.inputs, 1)}
    tables = {
        "cohorts": _with_prices(Rows(COHORT_COLUMNS, cohort_rows), "outcome_no", "proxy",
                                proxies, values_by_year[0], model.language),
        "outcomes": Rows(OUTCOME_COLUMNS, outcome_rows),
        "inputs": _with_prices(Rows(INPUT_COLUMNS, input_rows), "input_no", "amount", rates,
                               values_by_year[0], model.language),
        "stakeholders": Rows(STAKEHOLDER_COLUMNS, stakeholder_rows),
        "years": Rows(YEAR_COLUMNS, year_rows),
        "qualitative": Rows(QUALITATIVE_COLUMNS, qualitative),
    }
    return Results(model=model, scenario=chosen or None, headline=headline, tables=tables,
                   warnings=tuple(warnings))


def cohort_years(first: int, last: int, duration: int,
                 last_year: int) -> Iterator[tuple[int, int, int]]:
    """(year of occurrence, age, year counted) for the cohorts of a run that occur in years
    first..last, cohort by cohort: the order the totals are summed in."""
    for t in range(first, last + 1):
        for age in range(min(duration, last_year - t + 1)):
            yield t, age, t + age


def counted_ages(first: int, last: int, duration: int, year: int) -> range:
    """The ages of a run's cohorts (occurring first..last) still counting in ``year``,
    youngest first; empty when none does."""
    return range(max(0, year - last), min(year - first, duration - 1) + 1)


def assumption_values(model: Model, overrides: dict[str, Amount],
                      last_year: int) -> dict[int, AssumptionValues]:
    """Assumption values for years 0..last_year; years with the same values share one object,
    so an outcome is evaluated once for all the years its figures are the same."""
    shared: dict[tuple[int, ...], AssumptionValues] = {}
    by_year = {}
    for t in range(last_year + 1):
        chosen = tuple(id(overrides.get(a.name.casefold()) or dict(a.per_year).get(t) or a.value)
                       for a in model.assumptions)
        if chosen not in shared:
            shared[chosen] = AssumptionValues(model, overrides, t)
        by_year[t] = shared[chosen]
    return by_year


# Added to the trail (and the inputs table) only where a proxy or rate names a reference price:
# the base price, the index of its base year and of the price year, and how the value was made.
PRICE_COLUMNS = ("price_item", "base_price", "base_year", "index_base", "index_price_year")


def _with_prices(table: Rows, key: str, before: str, amounts: dict[int, Amount | None],
                 values: AssumptionValues, lang: str) -> Rows:
    """``table`` with the reference-price columns before ``before`` and a note at the end."""
    details = {n: values.price(a) for n, a in amounts.items()
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
