"""The empty analysis workbook that ``sroi-excel new`` writes, in Dutch or English."""

from __future__ import annotations

import datetime as dt
import io
import textwrap

import xlsxwriter

from . import __version__, prices, schema
from .schema import STYLES, Text

INPUT_ROWS = 200  # rows prepared (coloured, validated) per input table
FIXED_DATE = dt.datetime(2025, 1, 1)  # so that `new` makes identical files every time

# One worked example: a neighbourhood job coach. The user overwrites it.
EXAMPLE = {
    "settings": {
        "name": Text("Voorbeeld: buurtcoach naar werk", "Example: neighbourhood job coach"),
        "organisation": Text("Gemeente Voorbeeld", "Example Council"),
        "analysis_type": "forecast",
        "first_year": 2025, "years": 3, "discount_rate": 0.0225, "discount_rate_inputs": None,
        "discount_inputs": True, "beyond_horizon": False, "price_year": 2025,
        "currency": "EUR", "scenario": None,
        "mc_draws": 10_000, "mc_seed": 12345, "sensitivity_step": 0.1,
        "switching_stakeholder": Text("Gemeente", "Council"),
        "note": Text("Voorbeeld; vervang door je eigen analyse.",
                     "An example; replace it with your own analysis."),
        "counterfactual": Text("Zonder coach: de gewone begeleiding door het werkplein "
                               "(voorbeeld).",
                               "Without the coach: the usual support by the job centre "
                               "(example)."),
    },
    "stakeholders": [
        (Text("Deelnemers", "Participants"),
         Text("Bewoners zonder werk die de coach begeleidt", "Residents out of work"),
         Text("interview (voorbeeld)", "interview (example)")),
        (Text("Gemeente", "Council"), Text("Financiert de coach; bespaart op uitkeringen",
                                           "Funds the coach; saves on benefits"),
         Text("workshop (voorbeeld)", "workshop (example)")),
    ],
    # The kind of each stakeholder above (Dutch name -> schema.CATEGORIES key).
    "stakeholder_categories": {"Deelnemers": "participant", "Gemeente": "municipality"},
    "assumptions": [
        (Text("Deelnemers", "Participants"), 40, Text("personen per jaar", "people a year"),
         Text("Projectplan", "Project plan"), 30, 50),
        (Text("Succes", "Success"), 0.25, Text("%", "%"),
         Text("Evaluatie vergelijkbaar project", "Evaluation of a similar project"), 0.15, 0.35),
    ],
    "inputs": [
        ("Gemeente", Text("Coach, 0,5 fte", "Coach, 0.5 FTE"), "hours", None, 800, 75, 1, True,
         Text("Begroting", "Budget")),
    ],
    "outcomes": [
        ("Gemeente", Text("Minder uitkeringen", "Fewer benefit payments"),
         Text("Aantal mensen uit de uitkering", "People leaving benefits"),
         "=Deelnemers*Succes", "=Participants*Success", 15000,
         Text("Gemiddelde uitkering (CPB)", "Average benefit payment"), 0.3, 0.2, 0, 0.5, 2, 1,
         True, True,
         Text("Deadweight en attributie: evaluatie vergelijkbaar project (voorbeeld).",
              "Deadweight and attribution: evaluation of a similar project (example).")),
        ("Deelnemers", Text("Meer zelfvertrouwen", "More self-confidence"),
         Text("Zelfrapportage", "Self-report"), None, None, None, None, None, None, None, None,
         None, 1, False, False, None),
    ],
    "scenarios": [
        ("minimum", Text("Succes", "Success"), 0.15, Text("Laagste succes uit de evaluatie",
                                                          "Lowest success rate found")),
        ("maximum", Text("Succes", "Success"), 0.35, Text("Hoogste succes uit de evaluatie",
                                                          "Highest success rate found")),
    ],
}


def build_template(lang: str = "nl") -> bytes:
    """The template workbook as .xlsx bytes; identical bytes on every call."""
    if lang not in schema.LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(schema.LANGUAGES)}, not {lang!r}")
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({
        "title": Text("SROI-analyse", "SROI analysis")(lang),
        "creator": f"sroi-excel {__version__}",
        "created": FIXED_DATE,
    })
    book.set_size(1600, 1000)
    fmt = {name: book.add_format({"font_name": schema.FONT, **props})
           for name, props in STYLES.items()}
    _readme(book, fmt, lang)
    _settings(book, fmt, lang)
    _stakeholders(book, fmt, lang)
    _assumptions(book, fmt, lang)
    _inputs(book, fmt, lang)
    _outcomes(book, fmt, lang)
    _scenarios(book, fmt, lang)
    _reference_prices(book, fmt, lang)
    _price_index(book, fmt, lang)
    # Names for the example assumptions, so that =Deelnemers*Succes works in Excel too.
    title = schema.ASSUMPTIONS.name(lang)
    for row, (name, *_rest) in enumerate(EXAMPLE["assumptions"], 2):
        book.define_name(name(lang), f"='{title}'!$B${row}")
    book.close()
    return out.getvalue()


def _sheet_list(lang: str) -> str:
    """The result sheets' names as a sentence: "A, B and C"."""
    names = [text(lang) for text in schema.RESULT_SHEETS.values()]
    return f"{', '.join(names[:-1])} {'en' if lang == 'nl' else 'and'} {names[-1]}"


def _readme(book, fmt, lang, lines: list[tuple[str, str]] | None = None):
    ws = book.add_worksheet(schema.README_SHEET(lang))
    ws.set_column(0, 0, 100)
    ws.hide_gridlines(2)
    lines = lines or {
        "nl": [
            ("title", "SROI-analyse met sroi-excel"),
            ("text", ""),
            ("label", "Zo werkt het"),
            ("wrap", "1. Vul de tabbladen Instellingen, Belanghebbenden, Aannames, Inbreng, "
                     "Opbrengsten en (eventueel) Scenario's in. Gele cellen zijn invoer; de "
                     "opmerking bij elke kolomkop zegt wat erin hoort."),
            ("wrap", "2. Een aantal of proxy mag een formule over aannames zijn, bijv. "
                     "=Deelnemers*Succes. Geef de aanname dan een naam via Formules > Naam "
                     "definiëren, of verwijs naar de cel: =Aannames!B2*Aannames!B3."),
            ("wrap", "3. Sla op en voer uit: sroi-excel fill deze-werkmap.xlsx"),
            ("wrap", f"4. De tool schrijft de tabbladen {_sheet_list('nl')}. Die worden bij "
                     "elke fill vervangen; wijzig ze dus niet zelf. Al het andere blijft zoals "
                     "het is."),
            ("wrap", "5. sroi-excel check deze-werkmap.xlsx controleert de invoer zonder iets "
                     "te schrijven."),
            ("wrap", "6. Referentieprijzen: typ in een proxy-, uurtarief- of bedragcel de code "
                     "van een referentieprijs (bijv. QALY) in plaats van een getal. De tool "
                     "indexeert de prijs van het basisjaar naar het prijspeil op Instellingen: "
                     "prijs x index[prijspeil] / index[basisjaar]. Het tabblad Prijsindex bevat "
                     "de CPI van het CBS (StatLine 83131NED) voor "
                     f"{prices.INDEX['nl'][0][0]}-{prices.LATEST_YEAR}; voeg latere jaren "
                     "toe als regel. Eigen tarieven, zoals een gemeentelijk Wmo-tarief, voeg "
                     "je toe op het tabblad Referentieprijzen."),
            ("text", ""),
            ("note", "De voorbeeldregels (buurtcoach) mag je overschrijven of verwijderen."),
        ],
        "en": [
            ("title", "SROI analysis with sroi-excel"),
            ("text", ""),
            ("label", "How it works"),
            ("wrap", "1. Fill in the sheets Settings, Stakeholders, Assumptions, Inputs, "
                     "Outcomes and (optionally) Scenarios. Yellow cells are input; the note on "
                     "each column header says what goes there."),
            ("wrap", "2. A quantity or proxy may be a formula over assumptions, e.g. "
                     "=Participants*Success. Give the assumption a name with Formulas > Define "
                     "Name, or refer to the cell: =Assumptions!B2*Assumptions!B3."),
            ("wrap", "3. Save and run: sroi-excel fill this-workbook.xlsx"),
            ("wrap", f"4. The tool writes the sheets {_sheet_list('en')}. They are replaced on "
                     "every fill, so do not edit them. Everything else stays as it is."),
            ("wrap", "5. sroi-excel check this-workbook.xlsx checks the input without writing."),
            ("wrap", "6. Reference prices: add the unit costs you use on the Reference prices "
                     "sheet, each with its base year and source, and type its code in a proxy, "
                     "hourly rate or amount cell instead of a number. The tool indexes the "
                     "price from its base year to the price year in Settings: price x "
                     "index[price year] / index[base year]. The Price index sheet holds the UK "
                     "CPI of the ONS (series D7BT) for "
                     f"{prices.INDEX['en'][0][0]}-{prices.INDEX['en'][-1][0]}; add later years "
                     "as rows."),
            ("text", ""),
            ("note", "The example rows (job coach) are there to be overwritten or deleted."),
        ],
    }[lang]
    for row, (style, text) in enumerate(lines):
        ws.write_string(row, 0, text, fmt[style])


def _print_setup(ws) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _header(ws, fmt, sheet: schema.Sheet, lang: str, row: int = 0):
    for col, column in enumerate(sheet.columns):
        ws.write_string(row, col, column.header(lang), fmt["header"])
        ws.write_comment(row, col, column.note(lang), {"x_scale": 2, "y_scale": 1.2})
        ws.set_column(col, col, column.width)
    ws.freeze_panes(row + 1, 0)
    ws.set_row(row, 30)
    _print_setup(ws)


def _input_format(fmt, kind: str):
    return {"percent": fmt["input_percent"], "number": fmt["input_number"],
            "integer": fmt["input_integer"]}.get(kind, fmt["input"])


def _prepare(ws, fmt, sheet: schema.Sheet, lang: str, first: int, rows: int = INPUT_ROWS):
    """Colour the input area and add the dropdowns and range checks for each column."""
    yesno = [schema.YES(lang), schema.NO(lang)]
    stakeholder_list = f"='{schema.STAKEHOLDERS.name(lang)}'!$A$2:$A${INPUT_ROWS + 1}"
    for col, column in enumerate(sheet.columns):
        style = _input_format(fmt, column.kind)
        ws.set_column(col, col, column.width, style)
        last = first + rows - 1
        if column.kind == "yesno":
            ws.data_validation(first, col, last, col, {"validate": "list", "source": yesno})
        elif column.kind == "stakeholder":
            ws.data_validation(first, col, last, col, {
                "validate": "list", "source": stakeholder_list,
                "error_type": "warning",
                "error_message": Text("Kies een belanghebbende van het tabblad "
                                      "Belanghebbenden.",
                                      "Pick a stakeholder from the Stakeholders sheet.")(lang)})
        elif column.kind == "percent":
            ws.data_validation(first, col, last, col, {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                "ignore_blank": True, "error_type": "stop",
                "error_title": Text("Percentage", "Percentage")(lang),
                "error_message": Text("Typ een percentage tussen 0% en 100%, bijv. 20%.",
                                      "Type a percentage between 0% and 100%, e.g. 20%.")(lang)})
        elif column.key == "kind" and sheet.key == "inputs":
            ws.data_validation(first, col, last, col, {
                "validate": "list", "source": [t(lang) for t in schema.INPUT_KINDS.values()]})
        elif column.kind == "category":
            _category_validation(ws, first, col, last, lang)
        elif column.key == "distribution":
            ws.data_validation(first, col, last, col, {
                "validate": "list", "source": [t(lang) for t in schema.DISTRIBUTIONS.values()]})
        elif column.key in _LISTS:  # a choice, or a few words of one's own after a warning
            ws.data_validation(first, col, last, col, {
                "validate": "list", "error_type": "warning",
                "source": [t(lang) for t in _LISTS[column.key].values()]})


_LISTS = {"involvement": schema.INVOLVEMENT, "excluded": schema.EXCLUSIONS}


def _settings(book, fmt, lang, values: dict | None = None):
    # examples/build_examples.py passes its own values; a setting it leaves out stays blank.
    values = EXAMPLE["settings"] if values is None else values
    sheet = schema.SETTINGS
    ws = book.add_worksheet(sheet.name(lang))
    for col, text in enumerate(schema.SETTINGS_HEADERS):
        ws.write_string(0, col, text(lang), fmt["header"])
    ws.freeze_panes(1, 0)
    _print_setup(ws)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 2, 90, fmt["note"])
    for row, column in enumerate(sheet.columns, 1):
        ws.write_string(row, 0, column.header(lang), fmt["label"])
        ws.write_string(row, 2, column.note(lang), fmt["note"])
        value = values.get(column.key)
        style = _input_format(fmt, column.kind)
        if isinstance(value, Text):
            value = value(lang)
        if column.kind == "yesno":
            ws.write_string(row, 1, (schema.YES if value else schema.NO)(lang), style)
            ws.data_validation(row, 1, row, 1, {
                "validate": "list", "source": [schema.YES(lang), schema.NO(lang)]})
        elif column.kind == "choice":
            ws.write_string(row, 1, schema.ANALYSIS_TYPES[value](lang), style)
            ws.data_validation(row, 1, row, 1, {
                "validate": "list", "source": [t(lang) for t in schema.ANALYSIS_TYPES.values()]})
        elif column.kind == "scenario":
            ws.write_blank(row, 1, None, style)
            ws.data_validation(row, 1, row, 1, {
                "validate": "list", "error_type": "warning",
                "source": f"='{schema.SCENARIOS.name(lang)}'!$A$2:$A${INPUT_ROWS + 1}"})
        elif column.kind == "stakeholder":
            if value:
                ws.write_string(row, 1, value, style)
            else:
                ws.write_blank(row, 1, None, style)
            ws.data_validation(row, 1, row, 1, {
                "validate": "list", "error_type": "warning",
                "source": f"='{schema.STAKEHOLDERS.name(lang)}'!$A$2:$A${INPUT_ROWS + 1}"})
        elif value is None:
            ws.write_blank(row, 1, None, style)
        elif isinstance(value, str):
            ws.write_string(row, 1, value, style)
        else:
            ws.write_number(row, 1, value, style)
        if column.kind == "percent":
            ws.data_validation(row, 1, row, 1, {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                "error_message": Text("Typ een percentage, bijv. 2,25%.",
                                      "Type a percentage, e.g. 2.25%.")(lang)})
    ws.set_row(0, 20)


def _table(book, fmt, sheet: schema.Sheet, lang: str, rows: list[list]):
    ws = book.add_worksheet(sheet.name(lang))
    _header(ws, fmt, sheet, lang)
    _prepare(ws, fmt, sheet, lang, 1)
    for r, values in enumerate(rows, 1):
        for c, value in enumerate(values):
            column = sheet.columns[c] if c < len(sheet.columns) else None
            style = _input_format(fmt, column.kind if column else "number")
            if isinstance(value, Text):
                value = value(lang)
            if value is None:
                continue
            if isinstance(value, bool):
                ws.write_string(r, c, (schema.YES if value else schema.NO)(lang), style)
            elif isinstance(value, str) and value.startswith("="):
                ws.write_formula(r, c, value, style)
            elif isinstance(value, str):
                ws.write_string(r, c, value, style)
            else:
                ws.write_number(r, c, value, style)
    return ws


def _stakeholders(book, fmt, lang):
    kinds = EXAMPLE["stakeholder_categories"]
    _table(book, fmt, schema.STAKEHOLDERS, lang,
           [[name, desc, *category_cells(schema.category_label(kinds[name.nl], lang)), involvement]
            for name, desc, involvement in EXAMPLE["stakeholders"]])


def category_cells(category: str) -> list:
    """A stakeholder row's cells after the description: blank up to the Category column (other
    columns may come between the two), then the category."""
    keys = [c.key for c in schema.STAKEHOLDERS.columns]
    at = keys.index("category")
    return [None] * (at - keys.index("description") - 1) + [category]


def _category_validation(ws, first: int, col: int, last: int, lang: str) -> None:
    """The categories as a dropdown that suggests: any other text may be typed too."""
    ws.data_validation(first, col, last, col, {
        "validate": "list", "source": [t(lang) for t in schema.CATEGORIES.values()],
        "error_type": "information",
        "error_title": Text("Eigen categorie", "Category of your own")(lang),
        "error_message": Text("Dit is geen categorie uit de lijst; hij telt als eigen "
                              "categorie. Kies OK om hem te houden.",
                              "This is not a category from the list; it counts as a category "
                              "of its own. Choose OK to keep it.")(lang)})


def _assumptions(book, fmt, lang):
    sheet = schema.ASSUMPTIONS
    rows = [[name, value, unit, source, low, high]
            for name, value, unit, source, low, high in EXAMPLE["assumptions"]]
    ws = _table(book, fmt, sheet, lang, rows)
    _year_columns(ws, fmt, lang)
    for r, (_, value, *_rest) in enumerate(EXAMPLE["assumptions"], 1):
        if isinstance(value, float) and value < 1:
            ws.write_number(r, 1, value, fmt["input_percent"])


def _year_columns(ws, fmt, lang):
    """The optional per-year value columns to the right of the assumptions table."""
    first = len(schema.ASSUMPTIONS.columns)
    for n in range(1, schema.TEMPLATE_YEAR_COLUMNS + 1):
        col = first + n - 1
        ws.write_string(0, col, schema.YEAR_COLUMN(lang).format(n=n), fmt["header"])
        ws.write_comment(0, col, Text(
            f"Waarde in jaar {n}, als die afwijkt van kolom Waarde (bijv. een opschaling).",
            f"Value in year {n}, where it differs from the Value column (e.g. a scale-up)."
        )(lang), {"x_scale": 2})
        ws.set_column(col, col, 10, fmt["input_number"])


def _inputs(book, fmt, lang):
    rows = []
    for who, desc, kind, amount, hours, rate, year, recurring, source in EXAMPLE["inputs"]:
        who = _stakeholder(who, lang)
        rows.append([who, desc, schema.INPUT_KINDS[kind], amount, hours, rate, year, recurring,
                     source])
    _table(book, fmt, schema.INPUTS, lang, rows)


def _outcomes(book, fmt, lang):
    rows = []
    for (who, name, indicator, q_nl, q_en, proxy, source, dw, attr, disp, drop, duration,
         first, recurring, monetised, evidence) in EXAMPLE["outcomes"]:
        rows.append([_stakeholder(who, lang), name, indicator, q_nl if lang == "nl" else q_en,
                     proxy, source, dw, attr, disp, drop, duration, first, recurring,
                     monetised, evidence])
    _table(book, fmt, schema.OUTCOMES, lang, rows)


def _scenarios(book, fmt, lang):
    _table(book, fmt, schema.SCENARIOS, lang, [list(r) for r in EXAMPLE["scenarios"]])


# A tariff of the user's own, as users add them below the shipped library (Dutch: a Wmo tariff
# is a Dutch municipal tariff, so the English template, which ships no library, has none).
EXAMPLE_PRICE = ("WMO-BEGELEIDING", "Wmo-begeleiding (voorbeeld: gemeentelijk tarief)", "uur",
                 46.80, 2025, "Tarieflijst Wmo gemeente Voorbeeld 2025 (voorbeeld; vervang door "
                 "je eigen tarief)")


def _reference_prices(book, fmt, lang):
    # The library is Dutch health tariffs in euro: the English template leaves the table empty
    # for the user's own unit costs rather than show them under English words.
    rows = []
    if lang == "nl":
        rows = [[p.code, p.item, p.unit, p.price, p.base_year, p.source] for p in prices.LIBRARY]
        rows.append(list(EXAMPLE_PRICE))
    _table(book, fmt, schema.REFERENCE_PRICES, lang, rows)


def _price_index(book, fmt, lang):
    ws = _table(book, fmt, schema.PRICE_INDEX, lang, [list(row) for row in prices.INDEX[lang]])
    # Which series each row belongs to, beside the table (the reader reads only its columns),
    # in short lines, so that the table's rows keep their height.
    col = len(schema.PRICE_INDEX.columns) + 1
    title, *paragraphs = prices.INDEX_NOTES[lang]
    ws.write_string(0, col, title, fmt["label"])
    row = 1
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, 110):
            ws.write_string(row, col, line, fmt["subtitle"])
            row += 1
        row += 1


def _stakeholder(dutch: str, lang: str) -> str:
    for name, *_ in EXAMPLE["stakeholders"]:
        if name.nl == dutch:
            return name(lang)
    return dutch

