"""Assurance readiness: a checklist by SVI principle, an adjusted view, the published spread.

Pure: model, results and uncertainty in, records out; no files. The checklist checks what an
assurance reviewer checks first, from what the workbook documents: whether a 0% deduction has
evidence, whether every proxy has a source, whether the counterfactual and each stakeholder's
involvement are stated, whether there is any sensitivity analysis, which outcomes may count the
same change twice, and where the ratio lies among published ratios. It checks documentation and
plausibility, not truth: evidence text is read for the adjustments it names, not for whether it
is right.

The adjusted view is a what-if beside the headline: the engine computes the analysis again with
every unevidenced 0% deduction set to a stated value (the analyst's setting, else the median of
published SROI reports where one has been published), so a reader sees how much of the ratio
rests on those zeros. It never replaces the analyst's figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from . import prices
from .core import DEDUCTIONS
from .engine import Results, compute
from .exceptions import SroiError
from .model import Amount, Cell, Model, Outcome, ReferencePrice
from .schema import EXCLUSIONS, INVOLVEMENT, Text, normalise
from .uncertainty import DEDUCTION_LABELS, Uncertainty
from .uncertainty.results import _NL_DIGITS, show

T = Text
MET, NOT_MET, NOT_APPLICABLE = "met", "not met", "n/a"
STATUS = {MET: T("gehaald", "met"), NOT_MET: T("niet gehaald", "not met"),
          NOT_APPLICABLE: T("n.v.t.", "n/a")}

# -- published figures, each with where it was read -------------------------------------------

META = ("J. C. Muñoz Mora, From Principles to Practice: A Systematic Content Analysis of SROI "
        "Reporting in the Social Value International Database (working paper, 2026)")
FACTORS_PAGE = "https://jcmunozmora.github.io/sroi-meta-analysis/factors.html"
BENCHMARKS_PAGE = "https://jcmunozmora.github.io/sroi-meta-analysis/benchmarks.html"
RATIOS_FILE = ("github.com/jcmunozmora/sroi-meta-analysis, sections/04_findings_empirical.qmd "
               "(commit 68098e7)")
# Shares of the 383 reports of the SVI database that show an element: "Calculation Elements",
# table "Prevalence of each element".
SHARES = {"involvement": 0.731, "deductions": 0.052, "counterfactual": 0.136,
          "sensitivity": 0.123}
SHARES_SOURCE = T(f"{META}, pagina Calculation Elements, tabel 'Prevalence of each element' "
                  f"(383 rapporten): {FACTORS_PAGE}",
                  f"{META}, page Calculation Elements, table 'Prevalence of each element' (383 "
                  f"reports): {FACTORS_PAGE}")
# Typical deductions: the medians of "SROI Adjustment Factor Benchmarks", section Summary
# statistics of each factor (reports with a documented value: 154, 216, 90). No such figure for
# displacement was found: its value in the adjusted view is the analyst's setting only.
TYPICAL = {"deadweight": (0.20, 154), "attribution": (0.255, 216), "dropoff": (0.215, 90)}
TYPICAL_SOURCE = T(f"{META}, pagina SROI Adjustment Factor Benchmarks, 'Summary statistics' "
                   f"per factor: {BENCHMARKS_PAGE}",
                   f"{META}, page SROI Adjustment Factor Benchmarks, 'Summary statistics' of "
                   f"each factor: {BENCHMARKS_PAGE}")


class Spread(NamedTuple):
    """The published spread of SROI ratios: quartiles and the share above a high mark."""

    reports: int
    p25: float
    median: float
    p75: float
    high: float  # a ratio above this is in the top tenth of the published ones
    share_above_high: float


# Table 2 "Distribution of SROI ratios (n=247 reports with extractable values)", and "values
# above 15:1 account for 8.9% of the sample" in the text below it.
SPREAD = Spread(247, 2.06, 3.56, 6.60, 15.0, 0.089)
SPREAD_SOURCE = T(f"{META}, tabel 2 en de tekst eronder, in {RATIOS_FILE}",
                  f"{META}, Table 2 and the text below it, in {RATIOS_FILE}")

# -- the checklist's words ------------------------------------------------------------------

PRINCIPLES = {
    "involve": T("Betrek belanghebbenden", "Involve stakeholders"),
    "value": T("Waardeer wat ertoe doet", "Value the things that matter"),
    "material": T("Neem alleen op wat materieel is", "Only include what is material"),
    "overclaim": T("Claim niet te veel", "Do not over-claim"),
    "transparent": T("Wees transparant", "Be transparent"),
    "verify": T("Verifieer het resultaat", "Verify the result"),
}
ITEMS = {  # key -> (principle, title), in the order of the checklist
    "involvement": ("involve", T("Betrokkenheid per belanghebbende vermeld",
                                 "Involvement of each stakeholder stated")),
    "proxy_sources": ("value", T("Elke proxy heeft een bron", "Every proxy has a source")),
    "materiality": ("material", T("Uitgesloten opbrengsten met reden",
                                  "Excluded outcomes give a reason")),
    "deductions": ("overclaim", T("Deadweight, attributie en verplaatsing overwogen",
                                  "Deadweight, attribution and displacement considered")),
    "dropoff": ("overclaim", T("Uitdoving overwogen bij effecten van meer dan een jaar",
                               "Drop-off considered for outcomes lasting over a year")),
    "same_proxy": ("overclaim", T("Geen proxy twee keer voor één belanghebbende",
                                  "No proxy used twice for one stakeholder")),
    "wellbeing_saving": ("overclaim", T("Niet zowel welzijn als besparing voor één groep",
                                        "Not both wellbeing and a saving for one group")),
    "ratio_spread": ("overclaim", T("Ratio naast gepubliceerde ratio's",
                                    "Ratio set against published ratios")),
    "counterfactual": ("transparent", T("Nulalternatief vermeld", "Counterfactual stated")),
    "prices": ("transparent", T("Prijspeil en index van referentieprijzen vermeld",
                                "Price year and index of reference prices stated")),
    "sensitivity": ("verify", T("Gevoeligheidsanalyse", "Sensitivity analysis")),
}

# Words in evidence text that name an adjustment (compared after schema.normalise).
_NAMED = {
    "deadweight": ("deadweight", "dead weight", "nulalternatief", "counterfactual"),
    "attribution": ("attributie", "attribution", "toerekening", "toegeschreven", "attributed"),
    "displacement": ("verplaatsing", "displacement", "verdringing"),
    "dropoff": ("uitdoving", "drop off", "dropoff", "afname", "afneemt"),
}
_DOUBLE = ("dubbel", "double count")  # evidence that confirms a pair is no double count
_WELLBEING = ("wellbeing", "well being", "welbevinden", "wellby", "qaly", "kwaliteit van leven",
              "quality of life", "life satisfaction", "levenstevredenheid", "social value bank")
_SAVING = ("bespar", "saving", "saved", "avoided", "vermeden", "kosten", "kostprijs", "cost",
           "tarief", "tariff", "uitgave", "expenditure")
_SHOWN_CELLS = 12


class Item(NamedTuple):
    """One line of the checklist: its status, what was found, the cells and what to do."""

    key: str
    status: str  # MET, NOT_MET or NOT_APPLICABLE
    finding: Text
    action: Text = T("", "")
    cells: tuple[Cell, ...] = ()

    @property
    def principle(self) -> str:
        return ITEMS[self.key][0]

    @property
    def title(self) -> Text:
        return ITEMS[self.key][1]

    @property
    def share(self) -> float | None:
        """The share of published reports that show this element, where it is known."""
        return SHARES.get(self.key)


class Default(NamedTuple):
    """The value the adjusted view gives one kind of unevidenced 0% deduction."""

    key: str  # one of DEDUCTIONS
    value: float | None  # None: not adjusted
    origin: str  # "setting" (the analyst's), "typical" (published median) or "none"
    count: int  # unevidenced 0% deductions of this kind that it was given to


class Effect(NamedTuple):
    """What setting one outcome's unevidenced zeros does to the ratio."""

    outcome_no: int
    stakeholder: str
    outcome: str
    deductions: tuple[str, ...]
    pv: float
    pv_adjusted: float
    ratio_drop: float | None  # None without inputs


@dataclass(frozen=True)
class Adjusted:
    """The adjusted view: the analysis with every unevidenced 0% deduction set to a default."""

    ratio: float | None
    net_ratio: float | None
    pv_value: float
    defaults: tuple[Default, ...]
    effects: tuple[Effect, ...]  # largest ratio drop first

    @property
    def changed(self) -> int:
        return sum(d.count for d in self.defaults if d.value)


class Excluded(NamedTuple):
    """A row of the materiality log."""

    stakeholder: str
    outcome: str
    why: str  # a key of schema.EXCLUSIONS
    reason: str
    at: Cell | None


@dataclass(frozen=True)
class Quality:
    """The checklist, the adjusted view, the materiality log, and the ratio among others."""

    items: tuple[Item, ...]
    ratio: float | None
    adjusted: Adjusted
    excluded: tuple[Excluded, ...]
    switching: Text | None  # the switching value closest to the base, in words

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    def counts(self, lang: str = "en") -> str:
        """'5 met, 3 not met, 3 n/a'."""
        return ", ".join(f"{self.count(s)} {STATUS[s](lang)}"
                         for s in (MET, NOT_MET, NOT_APPLICABLE))

    def summary(self) -> str:
        """One line for `fill`: what the quality sheet found."""
        return f"quality checklist (documentation and plausibility, not truth): {self.counts()}"

    def adjusted_line(self, lang: str = "en") -> str | None:
        """The adjusted view in one sentence beside the headline; None without a ratio."""
        if self.ratio is None:
            return None
        return adjusted_sentence(self.ratio, self.adjusted)(lang)

    def lines(self) -> list[str]:
        """The checklist as `check` prints it, in English."""
        out = [f"Quality checklist (documentation and plausibility, not truth): "
               f"{self.counts()}"]
        for item in self.items:
            out.append(f"  [{item.status}] {PRINCIPLES[item.principle].en} · {item.title.en}: "
                       f"{item.finding.en}")
            if item.cells:
                out.append(f"      cells: {cell_list(item.cells)}")
            if item.action.en:
                out.append(f"      to do: {item.action.en}")
        line = self.adjusted_line()
        if line:
            out.append(f"  {line}")
        return out

    def to_dict(self) -> dict:
        """Plain data for --json, in English."""
        a = self.adjusted
        return {
            "checks": "documentation and plausibility, not truth",
            "met": self.count(MET), "not_met": self.count(NOT_MET),
            "not_applicable": self.count(NOT_APPLICABLE),
            "items": [{"key": i.key, "principle": PRINCIPLES[i.principle].en,
                       "title": i.title.en, "status": i.status, "finding": i.finding.en,
                       "action": i.action.en or None, "cells": [str(c) for c in i.cells],
                       "published_share": i.share} for i in self.items],
            "adjusted_view": {
                "what": "what-if: unevidenced 0% deductions set to the values below; the "
                        "results are unchanged",
                "sroi_ratio": _finite(a.ratio), "net_sroi_ratio": _finite(a.net_ratio),
                "pv_outcomes": a.pv_value, "deductions_set": a.changed,
                "values": [{"deduction": d.key, "value": d.value, "origin": d.origin,
                            "unevidenced_zeros": d.count} for d in a.defaults],
                "by_outcome": [{"outcome_no": e.outcome_no, "stakeholder": e.stakeholder,
                                "outcome": e.outcome, "deductions": list(e.deductions),
                                "pv": e.pv, "pv_adjusted": e.pv_adjusted,
                                "ratio_drop": e.ratio_drop} for e in a.effects],
            },
            "materiality_log": [{"stakeholder": x.stakeholder, "outcome": x.outcome,
                                 "excluded": EXCLUSIONS[x.why].en, "reason": x.reason,
                                 "cell": str(x.at) if x.at else None} for x in self.excluded],
            "switching_value_in_words": self.switching.en if self.switching else None,
            "published_spread": {"reports": SPREAD.reports, "p25": SPREAD.p25,
                                 "median": SPREAD.median, "p75": SPREAD.p75,
                                 "top_tenth_above": SPREAD.high,
                                 "share_above": SPREAD.share_above_high,
                                 "source": SPREAD_SOURCE.en},
            "sources": [SHARES_SOURCE.en, TYPICAL_SOURCE.en],
        }


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


# -- assessing --------------------------------------------------------------------------------


def assess(results: Results, uncertainty: Uncertainty | None = None) -> Quality:
    """The checklist of one computed analysis (and its uncertainty analysis, if at hand)."""
    model = results.model
    zeros = unevidenced_zeros(results)
    adjusted = adjusted_view(results, zeros)
    switching = switching_sentence(uncertainty)
    before = [_involvement(model), _proxy_sources(model), _materiality(model),
              _deductions(model, zeros), _dropoff(model, zeros), _same_proxy(results),
              _wellbeing_saving(model)]
    after = [_counterfactual(model), _prices(model), _sensitivity(model, switching)]
    # The ratio is weighed against every other item, so it is made last.
    items = (*before, _ratio_spread(results, before + after, adjusted), *after)
    excluded = tuple(Excluded(o.stakeholder, o.name, o.excluded, o.exclusion_reason,
                              o.cell("excluded") or o.at)
                     for o in model.outcomes if o.excluded)
    return Quality(items, results.headline.ratio, adjusted, excluded, switching)


def covered(evidence: str) -> set[str]:
    """The deductions evidence text speaks for: those it names, or all four if it names none
    (and none if it is blank)."""
    text = normalise(evidence)
    if not text:
        return set()
    named = {key for key, words in _NAMED.items() if any(w in text for w in words)}
    return named or set(DEDUCTIONS)


def unevidenced_zeros(results: Results) -> dict[int, tuple[str, ...]]:
    """Outcome number -> its deductions that are 0% in every year counted and have no
    evidence; drop-off only for an outcome lasting more than a year."""
    model = results.model
    cohorts = results.tables["cohorts"]
    zero: dict[int, set[str]] = {}
    for rec in cohorts.records():
        found = zero.setdefault(rec.outcome_no, set(DEDUCTIONS))
        found -= {key for key in DEDUCTIONS if getattr(rec, key) != 0}
    out = {}
    for number, keys in zero.items():
        o = model.outcomes[number - 1]
        keys -= covered(o.evidence)
        if o.duration <= 1:
            keys.discard("dropoff")
        if keys:
            out[number] = tuple(k for k in DEDUCTIONS if k in keys)
    return out


def defaults(model: Model) -> dict[str, tuple[float | None, str]]:
    """Deduction -> (value for the adjusted view, "setting", "typical" or "none")."""
    settings = model.settings
    found = {}
    for key in DEDUCTIONS:
        own = getattr(settings, f"adjusted_{key}")
        if own is not None:
            found[key] = (own, "setting")
        elif key in TYPICAL:
            found[key] = (TYPICAL[key][0], "typical")
        else:
            found[key] = (None, "none")
    return found


def adjusted_view(results: Results, zeros: dict[int, tuple[str, ...]] | None = None
                  ) -> Adjusted:
    """The analysis computed by the engine with the unevidenced zeros set to the defaults."""
    model = results.model
    zeros = unevidenced_zeros(results) if zeros is None else zeros
    values = defaults(model)
    outcomes = list(model.outcomes)
    counts = dict.fromkeys(DEDUCTIONS, 0)
    touched: dict[int, tuple[str, ...]] = {}
    for number, keys in zeros.items():
        o = outcomes[number - 1]
        set_here = tuple(k for k in keys if values[k][0])
        for key in keys:
            counts[key] += 1
        if set_here:
            outcomes[number - 1] = replace(o, **{
                k: Amount.of(values[k][0], getattr(o, k).at) for k in set_here})
            touched[number] = set_here
    head = results.headline
    listed = tuple(Default(k, values[k][0], values[k][1], counts[k]) for k in DEDUCTIONS)
    if not touched:
        return Adjusted(head.ratio, head.net_ratio, head.pv_value, listed, ())
    again = compute(replace(model, outcomes=tuple(outcomes)), results.scenario)
    before = _pv_by_outcome(results)
    after = _pv_by_outcome(again)
    effects = []
    for number, keys in touched.items():
        o = model.outcomes[number - 1]
        pv, pv_adjusted = before.get(number, 0.0), after.get(number, 0.0)
        drop = (pv - pv_adjusted) / head.pv_inputs if head.pv_inputs else None
        effects.append(Effect(number, o.stakeholder, o.name, keys, pv, pv_adjusted, drop))
    effects.sort(key=lambda e: (-(e.pv - e.pv_adjusted), e.outcome_no))
    h = again.headline
    return Adjusted(h.ratio, h.net_ratio, h.pv_value, listed, tuple(effects))


def _pv_by_outcome(results: Results) -> dict[int, float]:
    table = results.tables["outcomes"]
    return dict(zip(table.column("outcome_no"), table.column("present_value"), strict=True))


def _valued(model: Model) -> list[tuple[int, Outcome]]:
    return [(n, o) for n, o in enumerate(model.outcomes, 1) if o.monetised]


def cell_list(cells: Iterable[Cell], limit: int = _SHOWN_CELLS) -> str:
    """Cells as 'Opbrengsten!G2, I2, Belanghebbenden!C3' (the sheet named when it changes),
    at most ``limit`` of them."""
    cells = list(cells)
    parts, sheet = [], None
    for cell in cells[:limit]:
        parts.append(cell.ref if cell.sheet == sheet else str(cell))
        sheet = cell.sheet
    more = f" and {len(cells) - limit} more" if len(cells) > limit else ""
    return ", ".join(parts) + more


def _names(names: list[str], lang: str, limit: int = 6) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    if len(names) > limit:
        shown += (f" en nog {len(names) - limit}" if lang == "nl"
                  else f" and {len(names) - limit} more")
    return shown


# -- the items --------------------------------------------------------------------------------


def _involvement(model: Model) -> Item:
    with_outcomes = {o.stakeholder for o in model.outcomes if not o.excluded}
    parties = [s for s in model.stakeholders if s.name in with_outcomes]
    if not parties:
        return Item("involvement", NOT_APPLICABLE, T("Geen belanghebbenden met opbrengsten.",
                                                         "No stakeholders with outcomes."))
    silent = [s for s in parties if _not_involved(s.involvement)]
    if not silent:
        return Item("involvement", MET, T(
            f"Elke belanghebbende met opbrengsten ({len(parties)}) zegt hoe hij betrokken is.",
            f"Every stakeholder with outcomes ({len(parties)}) says how it was involved."))
    names = [s.name for s in silent]
    return Item("involvement", NOT_MET, T(
        f"{len(silent)} van {len(parties)} belanghebbenden met opbrengsten zeggen niet hoe ze "
        f"betrokken zijn (leeg of geen): {_names(names, 'nl')}.",
        f"{len(silent)} of {len(parties)} stakeholders with outcomes do not say how they were "
        f"involved (blank or none): {_names(names, 'en')}."), T(
        "Betrek ze (interview, enquête, workshop) en vul kolom Betrokken via in; leg anders "
        "uit waarom niet.",
        "Involve them (interview, survey, workshop) and fill in the column Involved through; "
        "otherwise explain why not."),
        tuple(s.cell("involvement") or s.at for s in silent if s.cell("involvement") or s.at))


def _not_involved(text: str) -> bool:
    words = normalise(text).split()
    none = {normalise(w) for w in (*INVOLVEMENT["none"].all(), "nee", "no", "niet")}
    return not words or words[0] in none


def _proxy_sources(model: Model) -> Item:
    valued = _valued(model)
    if not valued:
        return Item("proxy_sources", NOT_APPLICABLE, T("Geen gewaardeerde opbrengsten.",
                                                           "No valued outcomes."))
    missing = [o for _, o in valued if not o.proxy_source.strip()]
    if not missing:
        return Item("proxy_sources", MET, T(
            f"Elke proxy ({len(valued)}) heeft een bron.",
            f"Every proxy ({len(valued)}) has a source."))
    names = [o.name for o in missing]
    return Item("proxy_sources", NOT_MET, T(
        f"{len(missing)} van {len(valued)} proxy's hebben geen bron: {_names(names, 'nl')}.",
        f"{len(missing)} of {len(valued)} proxies have no source: {_names(names, 'en')}."),
        T("Noem in kolom Bron proxy waar elke waarde vandaan komt (rapport, tabel, jaar).",
              "Say in the column Proxy source where each value comes from (report, table, "
              "year)."),
        tuple(o.cell("proxy_source") or o.at for o in missing if o.cell("proxy_source") or o.at))


def _materiality(model: Model) -> Item:
    excluded = [o for o in model.outcomes if o.excluded]
    if not excluded:
        return Item("materiality", NOT_APPLICABLE, T(
            "Geen opbrengsten uitgesloten.", "No outcomes excluded."))
    silent = [o for o in excluded if not o.exclusion_reason.strip()]
    if not silent:
        return Item("materiality", MET, T(
            f"Elke uitgesloten opbrengst ({len(excluded)}) heeft een reden "
            "(materialiteitslog hieronder).",
            f"Every excluded outcome ({len(excluded)}) gives a reason (materiality log "
            "below)."))
    names = [o.name for o in silent]
    return Item("materiality", NOT_MET, T(
        f"{len(silent)} van {len(excluded)} uitgesloten opbrengsten zonder reden: "
        f"{_names(names, 'nl')}.",
        f"{len(silent)} of {len(excluded)} excluded outcomes give no reason: "
        f"{_names(names, 'en')}."),
        T("Zeg in kolom Reden uitsluiting waarom de opbrengst niet materieel, dubbel "
              "geteld of buiten scope is.",
              "Say in the column Reason for exclusion why the outcome is not material, double "
              "counted or out of scope."),
        tuple(o.cell("exclusion_reason") or o.at for o in silent
              if o.cell("exclusion_reason") or o.at))


def _zero_cells(model: Model, zeros: dict[int, tuple[str, ...]], keys: set[str]
                ) -> tuple[list[Cell], list[str], int]:
    """The cells of the unevidenced zeros of these kinds, the outcomes, and their count."""
    cells, names, count = [], [], 0
    for number, found in zeros.items():
        o = model.outcomes[number - 1]
        mine = [k for k in found if k in keys]
        if not mine:
            continue
        names.append(o.name)
        count += len(mine)
        cells += [at for k in mine if (at := getattr(o, k).at or o.at) is not None]
    return cells, names, count


def _deductions(model: Model, zeros: dict[int, tuple[str, ...]]) -> Item:
    valued = _valued(model)
    if not valued:
        return Item("deductions", NOT_APPLICABLE, T("Geen gewaardeerde opbrengsten.",
                                                        "No valued outcomes."))
    keys = {"deadweight", "attribution", "displacement"}
    cells, names, count = _zero_cells(model, zeros, keys)
    if not count:
        return Item("deductions", MET, T(
            f"Elke correctie van 0% is onderbouwd (gewaardeerde opbrengsten: {len(valued)}).",
            f"Every 0% deduction has evidence (valued outcomes: {len(valued)})."))
    kinds = {k: sum(1 for found in zeros.values() if k in found) for k in DEDUCTIONS
             if k in keys}
    listed_nl = ", ".join(f"{DEDUCTION_LABELS[k].nl} {n}x" for k, n in kinds.items() if n)
    listed_en = ", ".join(f"{DEDUCTION_LABELS[k].en} {n}x" for k, n in kinds.items() if n)
    return Item("deductions", NOT_MET, T(
        f"Correcties van 0% zonder onderbouwing: {count} ({listed_nl}), bij {len(names)} van "
        f"{len(valued)} gewaardeerde opbrengsten: {_names(names, 'nl')}.",
        f"Deductions of 0% without evidence: {count} ({listed_en}), in {len(names)} of "
        f"{len(valued)} valued outcomes: {_names(names, 'en')}."), T(
        "Vul de correctie in, of zeg in kolom Onderbouwing correcties waarom 0% klopt en noem "
        "de correctie daarbij (bron, meting, redenering).",
        "Type the deduction, or say in the column Evidence for adjustments why 0% is right and "
        "name the adjustment (source, measurement, reasoning)."), tuple(cells))


def _dropoff(model: Model, zeros: dict[int, tuple[str, ...]]) -> Item:
    lasting = [o for _, o in _valued(model) if o.duration > 1]
    if not lasting:
        return Item("dropoff", NOT_APPLICABLE, T(
            "Geen gewaardeerde opbrengst duurt langer dan een jaar.",
            "No valued outcome lasts more than a year."))
    cells, names, count = _zero_cells(model, zeros, {"dropoff"})
    if not count:
        return Item("dropoff", MET, T(
            f"Elke opbrengst van meer dan een jaar ({len(lasting)}) heeft uitdoving of een "
            "onderbouwing.",
            f"Every outcome lasting more than a year ({len(lasting)}) has drop-off or "
            "evidence."))
    return Item("dropoff", NOT_MET, T(
        f"Zonder uitdoving en zonder onderbouwing: {count} van de {len(lasting)} opbrengsten "
        f"van meer dan een jaar: {_names(names, 'nl')}.",
        f"Without drop-off and without evidence: {count} of the {len(lasting)} outcomes "
        f"lasting more than a year: {_names(names, 'en')}."), T(
        "Vul de jaarlijkse uitdoving in, of onderbouw in kolom Onderbouwing correcties dat het "
        "effect onverminderd doorwerkt (bijv. een vervolgmeting).",
        "Type the yearly drop-off, or give evidence in the column Evidence for adjustments that "
        "the outcome lasts undiminished (e.g. a follow-up measurement)."), tuple(cells))


def _confirmed(*outcomes: Outcome) -> bool:
    return any(w in normalise(o.evidence) for o in outcomes for w in _DOUBLE)


def _pairs_item(key: str, pairs: list[tuple[Outcome, Outcome]], what: Text, checked: Text,
                action: Text) -> Item:
    open_pairs = [(a, b) for a, b in pairs if not _confirmed(a, b)]
    if not open_pairs:
        return Item(key, MET, checked)
    shown = [f"'{a.name}' + '{b.name}' ({a.stakeholder})" for a, b in open_pairs[:5]]
    more = len(open_pairs) - len(shown)
    tail = T(f" en nog {more}" if more else "", f" and {more} more" if more else "")
    cells = tuple(c for a, b in open_pairs for c in (a.at, b.at) if c is not None)
    return Item(key, NOT_MET, T(f"{what.nl}: {'; '.join(shown)}{tail.nl}.",
                                f"{what.en}: {'; '.join(shown)}{tail.en}."), action, cells)


_CONFIRM = T("Bevestig dat ze niet dezelfde verandering tellen (schrijf dubbeltelling met de "
             "uitleg in kolom Onderbouwing correcties), of sluit er een uit (Uitgesloten: "
             "dubbeltelling).",
             "Confirm that they do not count the same change (write double count with the "
             "explanation in the column Evidence for adjustments), or exclude one (Excluded: "
             "double counted).")


def _same_proxy(results: Results) -> Item:
    model = results.model
    seen: dict[tuple, list[Outcome]] = {}
    for rec in results.tables["outcomes"].records():
        o = model.outcomes[rec.outcome_no - 1]
        source = normalise(o.proxy_source)
        if not source or not math.isfinite(rec.proxy):
            continue
        key = (o.stakeholder.casefold(), round(rec.proxy, 6), source)
        seen.setdefault(key, []).append(o)
    pairs = [(group[0], other) for group in seen.values() for other in group[1:]]
    return _pairs_item("same_proxy", pairs, T(
        "Dezelfde proxy (waarde en bron) twee keer voor één belanghebbende",
        "The same proxy (value and source) twice for one stakeholder"), T(
        "Geen proxy (waarde en bron) twee keer voor dezelfde belanghebbende.",
        "No proxy (value and source) is used twice for the same stakeholder."), _CONFIRM)


def _kind(o: Outcome) -> str | None:
    """'wellbeing' or 'saving' from the outcome's words and its proxy's source, or None."""
    text = normalise(" ".join((o.name, o.indicator, o.proxy_source,
                               o.proxy.price.label if o.proxy and o.proxy.price else "")))
    wellbeing = any(w in text for w in _WELLBEING)
    saving = any(w in text for w in _SAVING)
    if wellbeing != saving:
        return "wellbeing" if wellbeing else "saving"
    return None


def _wellbeing_saving(model: Model) -> Item:
    kinds: dict[str, dict[str, list[Outcome]]] = {}
    for _, o in _valued(model):
        kind = _kind(o)
        if kind:
            kinds.setdefault(o.stakeholder, {}).setdefault(kind, []).append(o)
    pairs = [(w, s) for found in kinds.values() for w in found.get("wellbeing", ())
             for s in found.get("saving", ())]
    return _pairs_item("wellbeing_saving", pairs, T(
        "Gewaardeerd als welzijn én als besparing voor dezelfde groep",
        "Valued both as wellbeing and as a saving for the same group"), T(
        "Geen groep heeft zowel een welzijnswaarde als een besparing (naar de woorden van "
        "opbrengst, indicator en bron).",
        "No group has both a wellbeing value and a saving (by the words of outcome, indicator "
        "and source)."), _CONFIRM)


def _counterfactual(model: Model) -> Item:
    settings = model.settings
    if settings.counterfactual.strip():
        return Item("counterfactual", MET, T(
            f"Vermeld: {_short(settings.counterfactual)}",
            f"Stated: {_short(settings.counterfactual)}"))
    at = settings.cell("counterfactual")
    return Item("counterfactual", NOT_MET, T(
        "Het nulalternatief (wat er zonder de interventie zou gebeuren) is niet vermeld.",
        "The counterfactual (what would happen without the intervention) is not stated."),
        T("Beschrijf het op het tabblad Instellingen, regel Nulalternatief (voeg die regel "
              "toe als hij ontbreekt).",
              "Describe it on the Settings sheet, row Counterfactual (add the row if it is "
              "missing)."), (at,) if at else ())


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _used_prices(model: Model) -> list[ReferencePrice]:
    found: dict[str, ReferencePrice] = {}
    amounts = [o.proxy for _, o in _valued(model)]
    for item in model.inputs:
        amounts += [item.amount, item.rate]
    for amount in amounts:
        if amount is not None and amount.price is not None:
            found.setdefault(amount.price.label, amount.price)
    return list(found.values())


def _prices(model: Model) -> Item:
    used = _used_prices(model)
    if not used:
        return Item("prices", NOT_APPLICABLE, T("Geen referentieprijzen gebruikt.",
                                                    "No reference prices used."))
    problems: list[tuple[Text, Cell | None]] = []
    year = model.settings.price_year
    for ref in used:
        try:
            indexation = prices.index_reference(ref, model.price_index, year)
        except SroiError:
            continue  # the engine has said so already
        if indexation.published_used:
            if not ref.published_source.strip():
                problems.append((T(f"'{ref.label}': gepubliceerde waarde zonder bron",
                                   f"'{ref.label}': published value without a source"), ref.at))
        elif ref.base_year is None:
            problems.append((T(f"'{ref.label}': geen basisjaar (ongeïndexeerd gebruikt)",
                               f"'{ref.label}': no base year (used unindexed)"), ref.at))
        elif ref.base_year != year:
            for point in _index_points(model, ref, (ref.base_year, year)):
                if not point.source.strip():
                    problems.append((T(f"'{ref.label}': index {point.name} {point.year} "
                                       "zonder bron",
                                       f"'{ref.label}': index {point.name} {point.year} without "
                                       "a source"), point.at))
    if not problems:
        return Item("prices", MET, T(
            f"Referentieprijzen ({len(used)}): basisjaar, prijspeil {year} en index met bron "
            "vermeld.",
            f"Reference prices ({len(used)}): base year, price year {year} and index stated "
            "with a source."))
    return Item("prices", NOT_MET, T("; ".join(p.nl for p, _ in problems) + ".",
                                     "; ".join(p.en for p, _ in problems) + "."), T(
        "Vul het basisjaar van de prijs in (tabblad Referentieprijzen) en de bron van elk "
        "indexcijfer (tabblad Prijsindex).",
        "Fill in the price's base year (Reference prices sheet) and the source of each index "
        "value (Price index sheet)."), tuple(dict.fromkeys(at for _, at in problems if at)))


def _index_points(model: Model, ref: ReferencePrice, years: tuple[int, ...]) -> list:
    name, _ = prices.index_series(model.price_index, ref.index)
    wanted = normalise(name)
    return [p for p in model.price_index if normalise(p.name) == wanted and p.year in years]


def _sensitivity(model: Model, switching: Text | None) -> Item:
    ranged = [a for a in model.assumptions if a.low is not None and a.high is not None
              and a.low != a.high]
    scenarios = len(model.scenarios)
    words = T(f" {switching.nl}" if switching else "", f" {switching.en}" if switching else "")
    if ranged or scenarios:
        return Item("sensitivity", MET, T(
            f"Aannames met een bereik (laag - hoog): {len(ranged)}; scenario's: {scenarios}."
            f"{words.nl}",
            f"Assumptions with a range (low - high): {len(ranged)}; scenarios: {scenarios}."
            f"{words.en}"))
    return Item("sensitivity", NOT_MET, T(
        f"Geen aanname met laag en hoog, en geen scenario.{words.nl}",
        f"No assumption with low and high, and no scenario.{words.en}"), T(
        "Geef de onzekerste aannames een lage en hoge waarde (tabblad Aannames), of voeg een "
        "scenario toe (tabblad Scenario's).",
        "Give the least certain assumptions a low and a high value (Assumptions sheet), or add "
        "a scenario (Scenarios sheet)."))


def switching_sentence(u: Uncertainty | None) -> Text | None:
    """The switching value closest to the base in words: 'the ratio falls to 1 if ...'."""
    if u is None or u.base_ratio is None:
        return None
    found = [s for s in u.switching if s.ratio.value is not None and s.distance is not None]
    if not found:
        return T("Geen enkele aanname of correctie brengt de ratio alleen naar 1 binnen het "
                 "toegestane bereik.",
                 "No single assumption or deduction brings the ratio to 1 within its allowed "
                 "range.")
    s = min(found, key=lambda s: s.distance)
    falls = u.base_ratio > 1
    up = s.ratio.value > (s.base or 0.0)
    base, value = _figure(s.base or 0.0, s.percent), _figure(s.ratio.value, s.percent)
    if s.kind == "assumption":
        what = T(s.name, s.name)
    else:
        label = DEDUCTION_LABELS[s.kind]
        what = T(f"de {label.nl} van '{s.name}' ({s.stakeholder})",
                 f"the {label.en} of '{s.name}' ({s.stakeholder})")
    return T(f"De ratio {'zakt' if falls else 'stijgt'} naar 1 als {what.nl} "
             f"{'stijgt' if up else 'daalt'} van {base.nl} naar {value.nl} (het omslagpunt het "
             "dichtst bij de waarde).",
             f"The ratio {'falls' if falls else 'rises'} to 1 if {what.en} "
             f"{'rises' if up else 'falls'} from {base.en} to {value.en} (the switching value "
             "closest to the value).")


def _figure(x: float, percent: bool) -> Text:
    """A value in a sentence: a percentage to one decimal, else three significant digits (whole
    units for larger numbers)."""
    if percent or x == 0 or not math.isfinite(x):
        return show(x, percent)
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    en = f"{round(x, digits):,.{digits}f}"
    if "." in en:
        en = en.rstrip("0").rstrip(".")
    return T(en.translate(_NL_DIGITS), en)


def position(ratio: float) -> Text:
    """Where a ratio lies among the published ones."""
    s = SPREAD
    if ratio > s.high:
        return T(f"bij het hoogste tiende: {s.share_above_high:.1%} van de gepubliceerde ratio's "
                 f"ligt boven {s.high:g}".replace(".", ","),
                 f"in the top tenth: {s.share_above_high:.1%} of published ratios are above "
                 f"{s.high:g}")
    if ratio > s.p75:
        return T(f"boven driekwart van de gepubliceerde ratio's (75e percentiel "
                 f"{s.p75:.2f})".replace(".", ","),
                 f"above three quarters of published ratios (75th percentile {s.p75:.2f})")
    if ratio >= s.p25:
        return T(f"binnen de middelste helft van de gepubliceerde ratio's ({s.p25:.2f} - "
                 f"{s.p75:.2f}, mediaan {s.median:.2f})".replace(".", ","),
                 f"within the middle half of published ratios ({s.p25:.2f} - {s.p75:.2f}, "
                 f"median {s.median:.2f})")
    return T(f"bij het laagste kwart van de gepubliceerde ratio's (onder het 25e percentiel "
             f"{s.p25:.2f})".replace(".", ","),
             f"in the lowest quarter of published ratios (below the 25th percentile "
             f"{s.p25:.2f})")


def _ratio_spread(results: Results, others: list[Item], adjusted: Adjusted) -> Item:
    ratio = results.headline.ratio
    if ratio is None:
        return Item("ratio_spread", NOT_APPLICABLE, T("Geen inbreng, dus geen ratio.",
                                                      "No inputs, so no ratio."))
    where = position(ratio)
    shown = show(ratio, False, 2)
    found = T(f"SROI-ratio {shown.nl}: {where.nl} ({SPREAD.reports} rapporten)",
              f"SROI ratio {shown.en}: {where.en} ({SPREAD.reports} reports)")
    flagged = [i for i in others if i.status == NOT_MET]
    if ratio <= SPREAD.high or not flagged:
        return Item("ratio_spread", MET, T(f"{found.nl}.", f"{found.en}."))
    lowering = [e for e in adjusted.effects if e.ratio_drop][:3]
    if lowering:
        drops = [(e, show(e.ratio_drop, False, 2)) for e in lowering]
        most = T("; de correcties van 0% zonder onderbouwing die de ratio het meest verlagen, "
                 "op de waarden van het aangepaste beeld: "
                 + "; ".join(f"'{e.outcome}' ({e.stakeholder}) -{d.nl}" for e, d in drops),
                 "; the unevidenced 0% deductions that would lower it most, at the values of "
                 "the adjusted view: "
                 + "; ".join(f"'{e.outcome}' ({e.stakeholder}) -{d.en}" for e, d in drops))
    else:
        most = T("; niet gehaald: " + ", ".join(i.title.nl for i in flagged),
                 "; not met: " + ", ".join(i.title.en for i in flagged))
    return Item("ratio_spread", NOT_MET, T(
        f"Waarschuwing: {found.nl}, terwijl {len(flagged)} punt(en) hierboven niet gehaald "
        f"zijn{most.nl}.",
        f"Warning: {found.en}, while {len(flagged)} item(s) above are not met{most.en}."), T(
        "Onderbouw of corrigeer eerst de genoemde punten; een ratio zo hoog vraagt om sterke "
        "onderbouwing.",
        "Evidence or correct the items named first; a ratio this high needs strong evidence."))


def adjusted_sentence(ratio: float | None, a: Adjusted) -> Text:
    """The adjusted view in one sentence, labelled as a what-if."""
    zeros = [d for d in a.defaults if d.count]
    if not zeros:
        return T("Aangepast beeld (wat-als): geen correcties van 0% zonder onderbouwing, dus "
                 "gelijk aan de resultaten.",
                 "Adjusted view (what-if): no 0% deductions without evidence, so the same as "
                 "the results.")
    used = [d for d in zeros if d.value]
    kept = [d for d in zeros if not d.value]
    before = show(ratio, False, 2) if ratio is not None else T("-", "-")
    after = show(a.ratio, False, 2) if a.ratio is not None else T("-", "-")
    text = {}
    for lang, label in (("nl", "Aangepast beeld (wat-als, niet de resultaten)"),
                        ("en", "Adjusted view (what-if, not the results)")):
        nl = lang == "nl"
        if used:
            values = ", ".join(f"{DEDUCTION_LABELS[d.key](lang)} {show(d.value, True)(lang)}"
                               for d in used)
            line = (f"{label}: ratio {before(lang)} -> {after(lang)} met {a.changed} "
                    f"correctie(s) van 0% zonder onderbouwing op {values}" if nl else
                    f"{label}: ratio {before(lang)} -> {after(lang)} with {a.changed} "
                    f"unevidenced 0% deduction(s) set to {values}")
        else:
            line = f"{label}: ratio {before(lang)}, {'ongewijzigd' if nl else 'unchanged'}"
        if kept:
            why = {"setting": "0%", "none": "geen waarde" if nl else "no value"}
            listed = ", ".join(f"{DEDUCTION_LABELS[d.key](lang)} ({d.count}x, {why[d.origin]})"
                               for d in kept)
            line += f"; {'niet aangepast' if nl else 'not adjusted'}: {listed}"
        text[lang] = line + "."
    return T(text["nl"], text["en"])
