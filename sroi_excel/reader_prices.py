"""The reference-price and price-index sheets, and a cell that names a reference price.

Both sheets are read before any amount, so that a proxy, hourly rate or input amount may name
a price by its code or item; the price is then indexed to the price year of the settings.
"""

from __future__ import annotations

from . import formula, prices, schema
from .exceptions import PriceIndexError
from .model import Amount, Cell, PriceIndexPoint, ReferencePrice, Settings
from .reader_cells import (
    CellReader,
    Row,
    Sheets,
    did_you_mean,
    numberish,
    text,
    text_number_message,
)


class PriceList:
    """The reference prices and index points read, to index a price a cell names."""

    def __init__(self, title: str | None, index_title: str | None, price_year: int | None,
                 index_points: list[PriceIndexPoint]):
        self.title = title
        self.index_title = index_title
        self.price_year = price_year
        self.index_points = index_points
        self.prices: list[ReferencePrice] = []
        self.lookup: dict[str, ReferencePrice] = {}  # normalised code or item -> price

    def amount(self, value: str, at: Cell, label: str, sheets: Sheets) -> Amount | None:
        """The reference price a cell names, indexed to the price year (or None, with errors)."""
        ref = self.lookup.get(schema.normalise(value))
        if ref is None:
            message = text_number_message(value, label)
            if not numberish(value):
                names = [n for p in self.prices for n in (p.code, p.item) if n]
                message += (f", or the code of a reference price on the sheet "
                            f"'{self.title}'" + did_you_mean(value, names))
            sheets.error(at.sheet, at.ref, message)
            return None
        index_sheet = (f"the sheet '{self.index_title}'" if self.index_title else
                       f"a sheet '{schema.PRICE_INDEX.name(sheets.lang_of(self.title))}'")
        try:
            done = prices.index_reference(ref, self.index_points, self.price_year, index_sheet)
        except PriceIndexError as exc:
            sheets.error(at.sheet, at.ref, str(exc))
            return None
        name = ref.code or ref.item
        if ref.base_year is None:
            sheets.warn(at.sheet, at.ref, f"the reference price '{name}' has no base year, so "
                        "it is used as it is, without indexation")
        if done.published_ignored:
            sheets.warn(at.sheet, at.ref, (
                f"the published value {ref.published:g} of '{name}' is for "
                f"{ref.published_year}, not the price year {done.price_year}, so the price is "
                f"indexed from {ref.base_year} instead"))
        if not ref.source:
            sheets.warn(at.sheet, at.ref, f"the reference price '{name}' has no source on the "
                        f"sheet '{self.title}'")
        return Amount(formula.Number(done.value), value, at, price=ref)


def read_prices(cells: CellReader, price_title: str | None, index_title: str | None,
                settings: Settings) -> PriceList:
    """Read the price index, then the reference prices; from then on a cell may name one."""
    points = read_price_index(cells, index_title) if index_title is not None else []
    price_list = PriceList(price_title, index_title, settings.price_year, points)
    if price_title is not None:
        cells.prices = price_list
        # Shared as it fills: a formula on the price sheet naming a price above it is told so.
        cells.formulas.price_keys = price_list.lookup
        price_list.prices = read_reference_prices(cells, price_title, price_list)
    return price_list


def read_price_index(cells: CellReader, title: str) -> list[PriceIndexPoint]:
    """The index points: year, value, index name (one index or several), source."""
    result: list[PriceIndexPoint] = []
    seen: dict[tuple[str, int], str] = {}
    for row in cells.table(title, schema.PRICE_INDEX).filled():
        point = _index_point(cells, row)
        if point is None:
            continue
        (_, year_at), key = row["year"], (schema.normalise(point.name), point.year)
        if key in seen:
            cells.error(title, year_at.ref, f"{point.year} is listed twice"
                        + (f" for the index '{point.name}'" if point.name else "")
                        + f" (also at {seen[key]}); give each year one value")
            continue
        seen[key] = year_at.ref
        result.append(point)
    return result


def _index_point(cells: CellReader, row: Row) -> PriceIndexPoint | None:
    (year_value, year_at), (value, value_at) = row["year"], row["value"]
    title = row.title
    if year_value is None:
        cells.error(title, year_at.ref, "the year of this index value is missing")
        return None
    year = cells.integer(year_value, year_at, "the year")
    if year is None:
        return None
    if not 1900 <= year <= 2200:
        cells.error(title, year_at.ref, f"the year is {year}; it must be a calendar year "
                    "between 1900 and 2200")
        return None
    if value is None:
        cells.error(title, value_at.ref, f"the index value for {year} is missing")
        return None
    number = cells.number_constant(value, value_at, f"index value for {year}")
    if number is None:
        return None
    if number <= 0:
        cells.error(title, value_at.ref, f"the index value for {year} is {number:g}; an "
                    "index must be above 0")
        return None
    return PriceIndexPoint(year, number, text(row.value("name")), text(row.value("source")),
                           value_at)


def read_reference_prices(cells: CellReader, title: str, price_list: PriceList
                          ) -> list[ReferencePrice]:
    """The reference prices; each code and item is added to ``price_list.lookup``."""
    index_names = {schema.normalise(p.name): p.name for p in price_list.index_points}
    index_sheet = price_list.index_title or schema.PRICE_INDEX.name(cells.lang_of(title))
    result: list[ReferencePrice] = []
    seen: dict[str, str] = {}  # normalised code or item -> its cell
    for row in cells.table(title, schema.REFERENCE_PRICES).filled():
        item_value, item_at = row["item"]
        if item_value is None:
            cells.error(title, item_at.ref, "this row has values but no item; say what the "
                        "price values")
            continue
        item = str(item_value).strip()
        if row.value("price") is None:
            cells.error(title, row.at("price").ref, f"the price of '{item}' is missing")
            continue
        code_value, code_at = row.get("code", (None, item_at))
        code = text(code_value)
        ref = _reference_price(cells, row, item, code, index_names, index_sheet)
        keys = {schema.normalise(name): (name, at)
                for name, at in ((code, code_at), (item, item_at)) if name}
        listed = False
        for folded, (name, at) in keys.items():
            if folded in seen:
                cells.error(title, at.ref, (
                    f"'{name}' is listed twice (also at {seen[folded]}); each code and item "
                    "must be unique, so that a cell naming one finds one price"))
                listed = True
        if ref is None or listed:
            continue
        for folded, (_, at) in keys.items():
            seen[folded] = at.ref
            price_list.lookup[folded] = ref
        result.append(ref)
    return result


def _reference_price(cells: CellReader, row: Row, item: str, code: str,
                     index_names: dict[str, str], index_sheet: str) -> ReferencePrice | None:
    """The price in a row with an item and a price; None (with errors) where one is wrong."""
    price_value, price_at = row["price"]
    price = cells.number_constant(price_value, price_at, "price")
    base_year, base_ok = _year(cells, row, "base_year")
    published_year, published_year_ok = _year(cells, row, "published_year")
    published, published_ok = _published(cells, row, item)
    index = text(row.value("index"))
    index_ok = not index or schema.normalise(index) in index_names
    if not index_ok:
        cells.error(row.title, row.at("index").ref, (
            f"the price index '{index}' is not on the sheet '{index_sheet}'"
            + did_you_mean(index, list(index_names.values()))))
    if price is None or not (base_ok and published_year_ok and published_ok and index_ok):
        return None
    return ReferencePrice(item, price, code, text(row.value("unit")), base_year,
                          text(row.value("source")), index, published, published_year,
                          text(row.value("published_source")), price_at)


def _year(cells: CellReader, row: Row, key: str) -> tuple[int | None, bool]:
    """A calendar year in a column (None where it is empty), and whether it is right."""
    value, at = row.get(key, (None, row.at("item")))
    if value is None:
        return None, True
    label = schema.REFERENCE_PRICES.column(key).header("en").lower()
    year = cells.integer(value, at, f"the {label}")
    if year is not None and not 1900 <= year <= 2200:
        cells.error(row.title, at.ref, f"the {label} is {year}; it must be a calendar year "
                    "between 1900 and 2200")
        year = None
    return year, year is not None


def _published(cells: CellReader, row: Row, item: str) -> tuple[float | None, bool]:
    """The published (rounded) value of a price (None where there is none), and whether it
    is right: a number with the year it is in."""
    value, at = row.get("published", (None, row.at("item")))
    if value is None:
        return None, True
    published = cells.number_constant(value, at, "published value")
    if published is None:
        return None, False
    if row.value("published_year") is None:
        where = row.at("published_year", at)
        cells.error(row.title, where.ref, f"the published value of '{item}' has no year; "
                    "type the price year it is in (e.g. 2021)")
        return None, False
    return published, True
