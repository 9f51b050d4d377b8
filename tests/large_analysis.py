"""A large analysis as a user would type it into the template: six stakeholders, tens of
millions a year over five years, a negative outcome, scenarios and assumptions with low and
high. The print tests and `make docs` fill it; ``scale`` multiplies every amount (billions)."""

from __future__ import annotations

import io

import openpyxl

from sroi_excel import schema
from sroi_excel.template import build_template

T = schema.Text
STAKEHOLDERS = [
    (T("Deelnemers", "Participants"), T("Inwoners zonder werk", "Residents out of work")),
    (T("Gemeente", "Council"), T("Financiert het programma", "Funds the programme")),
    (T("Zorgverzekeraar", "Health insurer"), T("Minder zorgkosten", "Lower health costs")),
    (T("Werkgevers in de regio", "Regional employers"), T("Nemen deelnemers aan",
                                                          "Hire participants")),
    (T("Woningcorporatie", "Housing association"), T("Minder huurachterstand",
                                                     "Fewer rent arrears")),
    (T("Rijksoverheid (uitkeringen en belastingen)", "Central government (benefits and taxes)"),
     T("Minder uitkeringen, meer belasting", "Fewer benefits, more tax")),
]
# name, value, unit, low, high
ASSUMPTIONS = [
    (T("Deelnemers", "Participants"), 2000, T("personen per jaar", "people a year"), 1500,
     2500),
    (T("Succes", "Success"), 0.3, "%", 0.2, 0.4),
    (T("Zorggebruik", "Health_use"), 0.45, "%", 0.3, 0.6),
    (T("Huurachterstand", "Arrears"), 0.12, "%", 0.08, 0.16),
    (T("Uitkering", "Benefit"), 16500, T("per persoon per jaar", "per person a year"), 15000,
     18000),
]
# stakeholder (index), outcome, quantity (cell formula over the assumptions' rows), proxy,
# deadweight, attribution, drop-off, duration, every year
OUTCOMES = [
    (5, T("Minder uitkeringen door betaald werk", "Fewer benefit payments through paid work"),
     "=B2*B3", "=B6", 0.3, 0.2, 0.2, 3, True),
    (0, T("Hoger inkomen uit werk", "Higher income from work"), "=B2*B3", 9500, 0.3, 0.2, 0.25,
     3, True),
    (2, T("Minder huisartsbezoek en ggz-zorg", "Fewer GP visits and mental health care"),
     "=B2*B4", 1850, 0.25, 0.3, 0.5, 2, True),
    (4, T("Huisuitzettingen voorkomen", "Evictions avoided"), "=B2*B5", 6200, 0.4, 0.3, 0, 1,
     True),
    (3, T("Lagere wervingskosten", "Lower recruitment costs"), "=B2*B3", 2400, 0.5, 0.2, 0, 1,
     True),
    (0, T("Meer zelfvertrouwen en een betere gezondheid", "More confidence and better health"),
     "=B2", 850, 0.2, 0.4, 0.5, 2, True),
    (1, T("Minder schuldhulpverlening", "Less debt counselling"), "=B2*B5", 3100, 0.3, 0.3, 0,
     1, True),
    (1, T("Extra uitvoeringskosten van de gemeente", "Extra running costs of the council"), 1,
     -2400000, 0, 0, 0, 1, True),
]
# stakeholder (index), description, amount, year, every year
INPUTS = [
    (1, T("Programmabudget coaches", "Programme budget, coaches"), 5500000, 1, True),
    (1, T("Opstartkosten", "Set-up costs"), 1200000, 0, False),
    (2, T("Bijdrage preventie", "Prevention contribution"), 800000, 1, True),
    (3, T("Begeleiding op de werkvloer", "Support at work"), 750000, 1, True),
]


def large_analysis(lang: str = "nl", currency: str = "EUR", scale: float = 1.0) -> bytes:
    """The workbook, unfilled."""
    book = openpyxl.load_workbook(io.BytesIO(build_template(lang)))
    names = schema.SETTINGS
    settings = book[names.name(lang)]
    rows = {c.key: r for r, c in enumerate(names.columns, 2)}
    for key, value in (("name", T("Werk en Wijk: regionaal programma 2025-2029",
                                  "Work and Neighbourhood: regional programme 2025-2029")(lang)),
                       ("organisation", T("Regio Voorbeeld", "Example Region")(lang)),
                       ("years", 5), ("discount_rate", 0.0225), ("currency", currency),
                       ("note", None), ("mc_draws", 2000),
                       ("switching_stakeholder", STAKEHOLDERS[1][0](lang))):
        settings[f"B{rows[key]}"] = value
    sheet = book[schema.STAKEHOLDERS.name(lang)]
    for r, (name, description) in enumerate(STAKEHOLDERS, 2):
        sheet[f"A{r}"], sheet[f"B{r}"] = name(lang), description(lang)
    sheet = book[schema.ASSUMPTIONS.name(lang)]
    for r, (name, value, unit, low, high) in enumerate(ASSUMPTIONS, 2):
        unit = unit if isinstance(unit, str) else unit(lang)
        factor = scale if r == 6 else 1  # the benefit, an amount
        for col, cell in zip("ABCDEF", (name(lang), value * factor, unit, "Projectplan",
                                        low * factor, high * factor), strict=True):
            sheet[f"{col}{r}"] = cell
    assumptions = schema.ASSUMPTIONS.name(lang)
    sheet = book[schema.OUTCOMES.name(lang)]
    sheet.delete_rows(2, 10)
    yes, no = schema.YES(lang), schema.NO(lang)
    for r, (who, name, quantity, proxy, dw, attr, drop, duration, every) in enumerate(
            OUTCOMES, 2):
        if isinstance(quantity, str):
            quantity = "=" + "*".join(f"'{assumptions}'!{ref}"
                                      for ref in quantity[1:].split("*"))
        proxy = f"='{assumptions}'!{proxy[1:]}" if isinstance(proxy, str) else proxy * scale
        for col, cell in zip("ABCDEFGHIJKLMN", (
                STAKEHOLDERS[who][0](lang), name(lang), name(lang), quantity, proxy,
                "Projectplan", dw, attr, 0, drop, duration, 1, yes if every else no, yes),
                strict=True):
            sheet[f"{col}{r}"] = cell
    sheet = book[schema.INPUTS.name(lang)]
    sheet.delete_rows(2, 10)
    money = schema.INPUT_KINDS["money"](lang)
    for r, (who, description, amount, year, every) in enumerate(INPUTS, 2):
        for col, cell in zip("ABCDGHI", (STAKEHOLDERS[who][0](lang), description(lang), money,
                                         amount * scale, year, yes if every else no,
                                         "Begroting"), strict=True):
            sheet[f"{col}{r}"] = cell
    sheet = book[schema.SCENARIOS.name(lang)]
    success = ASSUMPTIONS[1][0](lang)
    for r, (scenario, value) in enumerate((("minimum", 0.2), ("maximum", 0.4)), 2):
        sheet[f"A{r}"], sheet[f"B{r}"], sheet[f"C{r}"] = scenario, success, value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
