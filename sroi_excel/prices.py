"""Reference prices: the shipped library and the indexation to the analysis price year.

Dutch analyses value outcomes with published unit costs (the Zorginstituut cost guideline,
municipal tariff lists) from different base years. A price from base year ``b`` is brought to
the price year ``y`` of the analysis with a price index:

    price_y = price_b x index[y] / index[b]

The library below is the table of a 2022 Dutch SROI of an e-health intervention
(``shared/reference-prices.md``): Zorginstituut reference prices in 2014 euros, which that SROI
indexed to 2021 with the CBS consumer price index (99.4 in 2014, 109 in 2021) and rounded. The
engine indexes exactly (14.1 x 109 / 99.4 = 15.4618, published as 15.4); a user who wants the
published figure types it in the override columns and the calculation trail says so.

Pure data and arithmetic: no files, no workbook. The template writes the library into the
workbook, the reader reads it back, and the engine calls :func:`index_reference`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .exceptions import PriceIndexError
from .model import PriceIndexPoint, ReferencePrice
from .schema import Text, normalise

PUBLISHED_YEAR = 2021  # the year of the published (rounded) column of the library


@dataclass(frozen=True)
class LibraryPrice:
    """One shipped reference price, in both languages, with its source."""

    code: str
    item: Text
    unit: Text
    price: float
    base_year: int | None  # None: not a price (never indexed)
    source: Text
    published: float | None = None  # the rounded figure the source table gives for 2021


_ZIN = Text("Zorginstituut NL, kostenhandleiding (prijspeil 2014); via SROI e-health (2022)",
            "Zorginstituut NL, cost guideline (2014 prices); via e-health SROI (2022)")
_QALY = Text("RIVM, Zorginstituut NL (prijspeil 2014); via SROI e-health (2022)",
             "RIVM, Zorginstituut NL (2014 prices); via e-health SROI (2022)")


def _as_2021(source: str) -> Text:
    # These figures appear only in the 2021 column of the source table, unindexed, so their
    # base year is the year that table uses them for; the original source keeps its own date.
    return Text(f"{source}; in SROI e-health (2022) gebruikt als prijs 2021",
                f"{source}; used as a 2021 price in the e-health SROI (2022)")


_HOUR = Text("uur", "hour")
_SESSION = Text("behandeling van ca. 30 min", "session of ~30 min")
_PERSON_YEAR = Text("persoon per jaar", "person-year")

LIBRARY: tuple[LibraryPrice, ...] = (
    LibraryPrice("TIJD", Text("Tijd cliënten, patiënten en mantelzorgers",
                              "Clients, patients and informal carers (time)"),
                 _HOUR, 14.1, 2014, _ZIN, 15.4),
    LibraryPrice("HA-CONSULT", Text("Huisarts, standaardconsult", "GP standard consultation"),
                 Text("consult van 10 min", "consultation of 10 min"), 33, 2014, _ZIN, 36.2),
    LibraryPrice("HA-VISITE", Text("Huisarts, visite", "GP home visit"),
                 Text("visite", "visit"), 50, 2014, _ZIN, 54.8),
    LibraryPrice("HA-TELEFOON", Text("Huisarts, telefonisch consult", "GP telephone contact"),
                 Text("contact", "contact"), 17, 2014, _ZIN, 18.6),
    LibraryPrice("FYSIO", Text("Fysiotherapie", "Physiotherapy"), _SESSION, 33, 2014, _ZIN, 36),
    LibraryPrice("OEFENTHERAPIE", Text("Oefentherapie", "Remedial therapy (oefentherapie)"),
                 _SESSION, 34, 2014, _ZIN, 37),
    LibraryPrice("LOGOPEDIE", Text("Logopedie", "Speech therapy"), _SESSION, 30, 2014, _ZIN,
                 33),
    LibraryPrice("ERGOTHERAPIE", Text("Ergotherapie", "Occupational therapy"), _SESSION, 33,
                 2014, _ZIN, 36),
    LibraryPrice("SPECIALIST", Text("Medisch specialist", "Medical specialist"), _HOUR, 81,
                 2014, _ZIN, 89),
    LibraryPrice("HH1", Text("Huishoudelijke hulp, huishoudelijk werk (HH1)",
                             "Home care, household work (HH1)"), _HOUR, 20, 2014, _ZIN, 22),
    LibraryPrice("HH2", Text("Huishoudelijke hulp, ondersteuning (HH2)",
                             "Home care, household support (HH2)"), _HOUR, 23, 2014, _ZIN, 25),
    LibraryPrice("VERZORGING", Text("Persoonlijke verzorging", "Personal care"), _HOUR, 50,
                 2014, _ZIN, 55),
    LibraryPrice("BEGELEIDING", Text("Begeleiding", "Support (begeleiding)"), _HOUR, 58, 2014,
                 _ZIN, 64),
    LibraryPrice("VERPLEGING", Text("Verpleging", "Nursing"), _HOUR, 73, 2014, _ZIN, 80),
    LibraryPrice("BEHANDELING", Text("Behandeling", "Treatment"), _HOUR, 120, 2014, _ZIN, 132),
    LibraryPrice("LIGDAG", Text("Ziekenhuisligdag", "Hospital day"), Text("dag", "day"), 443,
                 2014, _ZIN, 486),
    LibraryPrice("SEH", Text("Bezoek spoedeisende hulp", "Emergency department visit"),
                 Text("bezoek", "visit"), 259, 2014, _ZIN, 284),
    LibraryPrice("APO-ASSISTENT", Text("Apotheek, assistent", "Pharmacy, assistant"), _HOUR,
                 40, 2021, _as_2021("MKBA digitaal recept")),
    LibraryPrice("APOTHEKER", Text("Apotheek, apotheker", "Pharmacy, pharmacist"), _HOUR, 80,
                 2021, _as_2021("MKBA digitaal recept")),
    LibraryPrice("MANAGER", Text("Senior accountmanager / projectmanager / inkoper",
                                 "Senior account / project manager / buyer"),
                 _HOUR, 75, 2014, _ZIN, 82),
    LibraryPrice("QALY", Text("QALY (gewonnen levensjaar in goede gezondheid)",
                              "QALY (quality-adjusted life year)"),
                 Text("QALY", "QALY"), 36_000, 2014, _QALY, 39_080),
    LibraryPrice("MODAAL", Text("Modaal salaris", "Modal salary"), Text("jaar", "year"),
                 36_500, 2021, _as_2021("CPB 2020")),
    LibraryPrice("UITKERING", Text("Gemiddelde uitkering", "Average benefit payment (uitkering)"),
                 Text("jaar", "year"), 27_375, 2021, _as_2021("CPB 2020")),
    LibraryPrice("VERZUIM", Text("Ziekteverzuim, kosten werkgever",
                                 "Sickness absence, cost to employer"),
                 Text("dag", "day"), 250, 2021, _as_2021("Arboned 2019")),
    LibraryPrice("ZVW", Text("Gemiddelde zorgkosten Zvw", "Average health-insurance (Zvw) cost"),
                 _PERSON_YEAR, 2_931, 2021, _as_2021("Rijksbegroting 2020")),
    LibraryPrice("ZVW-FARMACIE", Text("waarvan farmacie", "of which pharmacy"), _PERSON_YEAR,
                 308, 2021, _as_2021("CBS Statline 2018")),
    LibraryPrice("ZVW-ZIEKENHUIS", Text("waarvan ziekenhuiszorg", "of which hospital care"),
                 _PERSON_YEAR, 1_521, 2021, _as_2021("CBS Statline 2019")),
    LibraryPrice("FTE-UREN", Text("Werkbare uren per fte", "Workable hours per FTE"),
                 Text("uren per jaar", "hours a year"), 1_600, None,
                 Text("geen bron in de gepubliceerde tabel; een aantal uren, geen prijs, dus "
                      "nooit geïndexeerd",
                      "no source in the published table; hours, not a price, so never "
                      "indexed")),
)

_CBS = Text("CBS, consumentenprijsindex (CPI); via SROI e-health (2022)",
            "CBS, consumer price index (CPI); via e-health SROI (2022)")
CPI: tuple[tuple[int, float, str, Text], ...] = (
    (2014, 99.4, "CPI", _CBS),
    (2021, 109.0, "CPI", _CBS),
)


def search(word: str | None = None) -> list[LibraryPrice]:
    """Library rows where every word given starts a word of the code, item, unit or source
    (either language): ``ha`` finds HA-CONSULT but not pharmacy."""
    terms = normalise(word or "").split()
    found = []
    for row in LIBRARY:
        words = normalise(" ".join((row.code, *row.item.all(), *row.unit.all(),
                                    *row.source.all()))).split()
        if all(any(w.startswith(term) for w in words) for term in terms):
            found.append(row)
    return found


def as_dicts(rows: Iterable[LibraryPrice], lang: str = "nl") -> list[dict]:
    """Plain data for --json."""
    return [{"code": r.code, "item": r.item(lang), "unit": r.unit(lang), "price": r.price,
             "base_year": r.base_year, "source": r.source(lang),
             f"published_{PUBLISHED_YEAR}": r.published} for r in rows]


def listing(rows: Sequence[LibraryPrice], lang: str = "nl") -> str:
    """The rows as a plain text table, followed by the shipped index points."""
    header = ("code", "item", "unit", "price", "base year", f"indexed {PUBLISHED_YEAR}",
              f"published {PUBLISHED_YEAR}", "source")
    body = [(r.code, r.item(lang), r.unit(lang), _number(r.price),
             "" if r.base_year is None else str(r.base_year), _indexed_text(r),
             "" if r.published is None else _number(r.published), r.source(lang))
            for r in rows]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    right = {3, 4, 5, 6}  # numbers line up on the right

    def line(cells) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = [line(header), *(line(b) for b in body)]
    points = ", ".join(f"{year} = {value:g}" for year, value, _, _ in CPI)
    out.append("")
    out.append(f"price index CPI: {points} ({CPI[0][3](lang)})")
    out.append("indexed price = price x index[price year] / index[base year]")
    return "\n".join(out)


def library_points() -> tuple[PriceIndexPoint, ...]:
    """The shipped CPI points as the model holds them."""
    return tuple(PriceIndexPoint(year, value, name, source("en")) for year, value, name, source
                 in CPI)


def _indexed_text(row: LibraryPrice) -> str:
    # Exact indexation to the published year, beside the published (rounded) figure.
    if row.base_year is None:
        return ""
    ref = ReferencePrice(row.item("en"), row.price, row.code, base_year=row.base_year)
    return _number(index_reference(ref, library_points(), PUBLISHED_YEAR).value)


def _number(value: float, lang: str = "en") -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if lang == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


# -- indexation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indexation:
    """A reference price brought to the price year, with everything the trail shows."""

    reference: ReferencePrice
    value: float  # what the analysis uses
    price_year: int | None
    index_name: str
    index_base: float | None  # index of the base year (None where not needed or not known)
    index_price: float | None  # index of the price year
    indexed: float | None  # price x index_price / index_base; None when it was not computed
    published_used: bool = False
    published_ignored: bool = False  # a published value exists, but for another year

    @property
    def factor(self) -> float | None:
        if self.index_base and self.index_price is not None:
            return self.index_price / self.index_base
        return None

    def note(self, lang: str = "en") -> str:
        """One sentence for the calculation trail: how the value was made."""
        ref = self.reference
        nl = lang == "nl"
        if self.published_used:
            source = ref.published_source or ("geen bron opgegeven" if nl else "no source given")
            text = (f"gepubliceerde waarde {_number(ref.published, lang)} voor "
                    f"{ref.published_year} (bron: {source})" if nl else
                    f"published value {_number(ref.published, lang)} for {ref.published_year} "
                    f"(source: {source})")
            if self.indexed is not None:
                text += (f" gebruikt in plaats van geïndexeerd {_number(self.indexed, lang)}"
                         if nl else f" used instead of the indexed "
                         f"{_number(self.indexed, lang)}")
            return text
        if ref.base_year is None:
            text = ("geen basisjaar: ongewijzigd gebruikt, niet geïndexeerd" if nl else
                    "no base year: used as it is, not indexed")
        elif ref.base_year == self.price_year:
            text = (f"al in prijspeil {ref.base_year}: niet geïndexeerd" if nl else
                    f"already in {ref.base_year} prices: not indexed")
        else:
            name = self.index_name or ("prijsindex" if nl else "price index")
            factor = f"{self.factor:.4f}".replace(".", "," if nl else ".")
            text = (f"geïndexeerd van {ref.base_year} naar {self.price_year} met {name} "
                    f"(x {factor})" if nl else
                    f"indexed from {ref.base_year} to {self.price_year} with {name} "
                    f"(x {factor})")
        if self.published_ignored:
            text += (f"; de gepubliceerde waarde voor {ref.published_year} telt niet "
                     f"(prijspeil {self.price_year})" if nl else
                     f"; the published value for {ref.published_year} is not used (price year "
                     f"{self.price_year})")
        return text


def index_series(points: Sequence[PriceIndexPoint], name: str = "") -> tuple[str, dict]:
    """The series called ``name`` (default: the series of the first point) as {year: value}."""
    if not points:
        return name, {}
    wanted = normalise(name) if name else normalise(points[0].name)
    chosen = [p for p in points if normalise(p.name) == wanted]
    if not chosen:
        known = sorted({p.name for p in points if p.name})
        raise PriceIndexError(f"the price index '{name}' is not on the price index sheet "
                              f"(indexes there: {', '.join(known) or 'one without a name'})")
    return chosen[0].name, {p.year: p.value for p in chosen}


def index_reference(ref: ReferencePrice, points: Sequence[PriceIndexPoint],
                    price_year: int | None, index_sheet: str = "the price index sheet"
                    ) -> Indexation:
    """Bring ``ref`` to ``price_year``: price x index[price year] / index[base year].

    A published value for the price year replaces the indexed one. A price without a base year
    is used as it is. Raises PriceIndexError (without a cell: the caller knows which cell named
    the price) when the price year or an index year is missing.
    """
    name, series = index_series(points, ref.index)
    label = f"'{ref.code or ref.item}'"
    base, year = ref.base_year, price_year
    index_base = series.get(base) if base is not None else None
    index_price = series.get(year) if year is not None else None
    indexed = None
    if index_base and index_price is not None:
        indexed = ref.price * index_price / index_base
    published = ref.published is not None and ref.published_year is not None
    if published and year is not None and ref.published_year == year:
        return Indexation(ref, float(ref.published), year, name, index_base, index_price,
                          indexed, published_used=True)
    ignored = published and base is not None
    if base is None:
        return Indexation(ref, float(ref.price), year, name, None, None, None,
                          published_ignored=published and year is not None)
    if year is None:
        raise PriceIndexError(f"the reference price {label} is in {base} prices, but the price "
                              "year on the settings sheet is blank; fill it in so that the "
                              "price can be indexed")
    if base == year:
        return Indexation(ref, float(ref.price), year, name, index_base, index_price,
                          float(ref.price), published_ignored=ignored)
    missing = [y for y in (base, year) if y not in series]
    if missing:
        which = " and ".join(str(y) for y in missing)
        series_name = f"'{name}'" if name else ""
        raise PriceIndexError(
            f"the reference price {label} is in {base} prices and cannot be indexed to {year}: "
            f"the price index {series_name} has no value for {which}; add "
            f"{'it' if len(missing) == 1 else 'them'} on {index_sheet}".replace("  ", " "))
    if not index_base or index_base <= 0 or not math.isfinite(index_base):
        raise PriceIndexError(f"the price index for {base} is {index_base}; an index must be "
                              "above 0")
    return Indexation(ref, float(indexed), year, name, index_base, index_price, indexed,
                      published_ignored=ignored)
