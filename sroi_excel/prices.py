"""Reference prices: the shipped library, the shipped price indexes, and the indexation.

Dutch analyses value outcomes with published unit costs (the Zorginstituut cost guideline,
municipal tariff lists) from different base years. A price from base year ``b`` is brought to
the price year ``y`` of the analysis with a price index:

    price_y = price_b x index[y] / index[b]

The library below is the table of a 2022 Dutch SROI of an e-health intervention
(``shared/reference-prices.md``): Zorginstituut reference prices in 2014 euros, which that SROI
indexed to 2021 with 99.4 (2014) and 109 (2021) and rounded (14.1 x 109 / 99.4 = 15.4618,
published as 15.4); a user who wants a published figure types it in the override columns and
the calculation trail says so.

The Dutch template ships the annual CPI of Statistics Netherlands (CBS StatLine 83131NED,
2015 = 100) for 2000 to the latest complete year, which reference prices use by default, and
the two points of that SROI as a series of their own, so that its figures can be reproduced.
The English template ships the UK CPI of the ONS (series D7BT, 2015 = 100) and no reference
prices: the library is Dutch health tariffs, which UK unit costs do not translate into.

Pure data and arithmetic: no files, no workbook. The template writes the library and the
indexes into the workbook, the reader reads them back, and the engine calls
:func:`index_reference`.
"""

from __future__ import annotations

import math
import textwrap
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

# -- the price indexes -----------------------------------------------------------------------
# The comment above each source says where its figures were read.

CBS_URL = "https://opendata.cbs.nl/statline/#/CBS/nl/dataset/83131NED/table"
ONS_URL = "https://www.ons.gov.uk/economy/inflationandpriceindices/timeseries/d7bt/mm23"
EHEALTH_INDEX = "CPI SROI e-health"  # the name a reference price gives in its Index column

_CBS_TABLE = Text(f"CBS StatLine, tabel 83131NED 'Consumentenprijzen; prijsindex 2015=100', "
                  f"CPI alle bestedingen, jaarcijfer; {CBS_URL}",
                  f"Statistics Netherlands (CBS) StatLine, table 83131NED 'Consumentenprijzen; "
                  f"prijsindex 2015=100', CPI all items, annual figure; {CBS_URL}")
# 2000-2019: the CSV that StatLine exports (Consumentenprijzen__prijsindex_2015_100_07012021_
# 123946.csv, "Alle bestedingen", CPI column), kept in github.com/sodascience/
# kansenkaart_preprocessing (resources/).
_CBS_2021 = Text(f"{_CBS_TABLE.nl}; CBS-download van 7-1-2021",
                 f"{_CBS_TABLE.en}; CBS download of 7 Jan 2021")
# 2020-2025: the annual figures as public analyses copied them from 83131NED (2020-2024 in R
# analyses of Dutch health-care costs, 2010-2025 in a series labelled "CBS StatLine 83131NED",
# both equal to the download above for the years they share); 2022 (121.43) also on CBS
# StatLine 83136NED, series 2015=100. The rises 2023-2024 and 2024-2025 (3.3% each) are the
# inflation CBS announced on 13 Jan 2026.
_CBS_2026 = Text(f"{_CBS_TABLE.nl}; overgenomen op 7-12-2026 uit openbare kopieën van deze "
                 "tabel",
                 f"{_CBS_TABLE.en}; taken on 7 Dec 2026 from public copies of this table")
# The two points of the e-health SROI's table (shared/reference-prices.md).
_SROI = Text("SROI e-health (2022): CPI 2014 = 99,4 en 2021 = 109, waarmee die SROI de "
             "Zorginstituut-prijzen van 2014 naar 2021 bracht",
             "e-health SROI (2022): CPI 2014 = 99.4 and 2021 = 109, with which that SROI "
             "brought the Zorginstituut prices from 2014 to 2021")
# 2000-2023: the ONS's own "full unfiltered time series" download of D7BT (release date
# 14-02-2024; 2000-2021 equal in the release of 20-07-2022), kept in github.com/SussexUCU/USS
# (data/ons/ons_cpi_index_series_2024_03.csv).
_ONS = Text(f"ONS, CPI INDEX 00: ALL ITEMS 2015=100, reeks D7BT (MM23), jaargemiddelde; "
            f"{ONS_URL}; publicatie van 14-2-2024",
            f"ONS, CPI INDEX 00: ALL ITEMS 2015=100, series D7BT (MM23), annual average; "
            f"{ONS_URL}; release of 14 Feb 2024")

IndexRow = tuple[int, float, str, Text]  # year, value, index name, source: one sheet row


def _series(name: str, source: Text, values: dict[int, float]) -> tuple[IndexRow, ...]:
    return tuple((year, value, name, source) for year, value in values.items())


INDEX: dict[str, tuple[IndexRow, ...]] = {
    "nl": (
        *_series("CPI", _CBS_2021, {
            2000: 75.06, 2001: 78.17, 2002: 80.74, 2003: 82.43, 2004: 83.48, 2005: 84.88,
            2006: 85.82, 2007: 87.20, 2008: 89.37, 2009: 90.44, 2010: 91.59, 2011: 93.73,
            2012: 96.04, 2013: 98.44, 2014: 99.40, 2015: 100.00, 2016: 100.32, 2017: 101.70,
            2018: 103.44, 2019: 106.16}),
        *_series("CPI", _CBS_2026, {
            2020: 107.51, 2021: 110.39, 2022: 121.43, 2023: 126.09, 2024: 130.31,
            2025: 134.56}),
        *_series(EHEALTH_INDEX, _SROI, {2014: 99.4, 2021: 109.0}),
    ),
    "en": _series("CPI", _ONS, {
        2000: 72.7, 2001: 73.6, 2002: 74.5, 2003: 75.5, 2004: 76.5, 2005: 78.1, 2006: 79.9,
        2007: 81.8, 2008: 84.7, 2009: 86.6, 2010: 89.4, 2011: 93.4, 2012: 96.1, 2013: 98.5,
        2014: 100.0, 2015: 100.0, 2016: 100.7, 2017: 103.4, 2018: 105.9, 2019: 107.8,
        2020: 108.7, 2021: 111.6, 2022: 121.7, 2023: 130.5}),
}
_CBS_YEARS = [year for year, _, name, _ in INDEX["nl"] if name == "CPI"]
LATEST_YEAR = max(_CBS_YEARS)

# Beside the price index table: which series each row belongs to and where it comes from.
INDEX_NOTES: dict[str, tuple[str, ...]] = {
    "nl": (
        "Toelichting",
        "CPI: de consumentenprijsindex van het CBS, alle bestedingen, jaarcijfer (het "
        "gemiddelde van de twaalf maanden), 2015 = 100; tabel 83131NED 'Consumentenprijzen; "
        f"prijsindex 2015=100', {CBS_URL}. Een referentieprijs met een lege kolom Index "
        "gebruikt deze reeks.",
        f"{EHEALTH_INDEX}: de twee indexcijfers waarmee de SROI van een e-health-interventie "
        "(2022) de prijzen van het Zorginstituut van 2014 naar 2021 bracht. 2014 = 99,4 is het "
        "CBS-jaarcijfer, 2021 = 109 niet (dat is 110,39): het is een andere reeks. Typ "
        f"'{EHEALTH_INDEX}' in kolom Index van een referentieprijs om de bedragen voor 2021 "
        "uit die SROI na te rekenen.",
        "Een nieuw jaar: voeg een regel toe met het CBS-jaarcijfer, de naam CPI en de bron.",
    ),
    "en": (
        "Notes",
        "CPI: the UK consumer prices index, all items, annual average, 2015 = 100; ONS series "
        f"D7BT (dataset MM23), {ONS_URL}. A reference price with a blank Index column uses "
        "this series.",
        "2024 and later are not shipped yet: add each year's annual figure from that page as a "
        "row named CPI, with its source.",
        "The template ships no reference prices: add the UK unit costs you use (e.g. from the "
        "Greater Manchester unit cost database) with their base year and source.",
    ),
}


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
             "base_year": r.base_year, f"indexed_{LATEST_YEAR}": _indexed(r),
             f"published_{PUBLISHED_YEAR}": r.published, "source": r.source(lang)}
            for r in rows]


def listing(rows: Sequence[LibraryPrice], lang: str = "nl", width: int = 80) -> str:
    """The rows as a plain text table that fits ``width`` columns, then their sources.

    Amounts have two decimals and line up on the right; an item too long for its column
    wraps within it; each row's source is a number in brackets, spelt out below the table.
    """
    sources: list[str] = []
    for r in rows:
        if r.source(lang) not in sources:
            sources.append(r.source(lang))
    header = ("code", "item (unit)", "price", "base", f"in {LATEST_YEAR}", "src")
    body = [(r.code, f"{r.item(lang)} ({r.unit(lang)})", _amount(r.price),
             "" if r.base_year is None else str(r.base_year), _amount(_indexed(r)),
             f"[{sources.index(r.source(lang)) + 1}]") for r in rows]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    gap = "  "
    rest = width - sum(widths) + widths[1] - len(gap) * (len(widths) - 1)
    widths[1] = max(min(widths[1], rest), 20)  # the item column takes what is left

    def lines(cells) -> list[str]:
        item = textwrap.wrap(cells[1], widths[1]) or [""]
        return [gap.join(c.rjust(w) if 2 <= i <= 4 else c.ljust(w) for i, (c, w) in enumerate(
                    zip((cells[0], text, *cells[2:]) if n == 0 else ("", text, *[""] * 4),
                        widths, strict=True))).rstrip()
                for n, text in enumerate(item)]

    out = ["Reference prices of the Dutch template, in euro:", ""]
    out += [line for cells in (header, *body) for line in lines(cells)]
    out.append("")
    notes = [f"in {LATEST_YEAR}: price x CPI {LATEST_YEAR} / CPI of the base year, with the "
             f"annual CPI of CBS StatLine 83131NED (2015 = 100, {min(_CBS_YEARS)}-{LATEST_YEAR}).",
             f"The rounded {PUBLISHED_YEAR} figures of the e-health SROI (2022), indexed with "
             f"2014 = 99.4 and 2021 = 109 (index '{EHEALTH_INDEX}'), are in --json.",
             *(f"[{n}] {source}" for n, source in enumerate(sources, 1))]
    for note in notes:
        out.extend(textwrap.wrap(note, width, subsequent_indent="    "))
    return "\n".join(out)


def library_points() -> tuple[PriceIndexPoint, ...]:
    """The Dutch template's index points as the model holds them (CPI first: the default)."""
    return tuple(PriceIndexPoint(year, value, name, source("en"))
                 for year, value, name, source in INDEX["nl"])


def _indexed(row: LibraryPrice) -> float | None:
    # The library price in prices of the latest CPI year, indexed exactly.
    if row.base_year is None:
        return None
    ref = ReferencePrice(row.item("en"), row.price, row.code, base_year=row.base_year)
    return index_reference(ref, library_points(), LATEST_YEAR).value


def _amount(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


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
