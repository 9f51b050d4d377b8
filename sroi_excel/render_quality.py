"""Quality -> the sheet Kwaliteit / Quality, the last of the result sheets.

The checklist by SVI principle with the cells each item concerns and what to do, the adjusted
view beside the headline ratio (a what-if, labelled so), the ratio among published ratios, the
materiality log and the sources of every published figure. Values as of the last fill, like the
sensitivity sheets: the checklist reads text, which no cell formula could.
"""

from __future__ import annotations

import datetime as dt

from . import quality as q
from .engine import Results
from .quality import Quality
from .render_layout import literal
from .render_uncertainty import _at, _Formula, _own_formats, _Rows, _start_sheet
from .schema import EXCLUSIONS, Text
from .uncertainty import DEDUCTION_LABELS, Uncertainty

T = Text
# Columns: principle, item, status, finding, cells, to do, share of published reports.
WIDTHS = (26, 30, 14, 58, 22, 44, 16)
LAST_COL = len(WIDTHS) - 1
STATUS_STYLE = {q.MET: "q_met", q.NOT_MET: "q_not_met", q.NOT_APPLICABLE: "q_na"}
ORIGIN = {"setting": T("eigen instelling (Instellingen)", "own setting (Settings)"),
          "typical": T("mediaan van gepubliceerde rapporten", "median of published reports"),
          "none": T("geen waarde: niet aangepast", "no value: not adjusted")}
MAX_EFFECTS = 15


def write_sheet(book, fmt: dict, results: Results, found: Quality, lang: str,
                uncertainty: Uncertainty | None = None, today: dt.date | None = None) -> None:
    """Add the quality sheet."""
    today = today or dt.date.today()
    fmt = {**fmt, **_own_formats(book), **_formats(book)}
    rows = _start_sheet(book, fmt, results, uncertainty, lang, today, "quality", list(WIDTHS))
    rows.note(T("Deze lijst controleert documentatie en plausibiliteit, niet de waarheid: of een "
                "correctie van 0% een onderbouwing heeft, niet of die klopt; of een proxy een "
                "bron heeft, niet of het de juiste is. Een assurance-beoordelaar leest de "
                "onderbouwing zelf.",
                "This list checks documentation and plausibility, not truth: whether a 0% "
                "deduction has evidence, not whether the evidence is right; whether a proxy has "
                "a source, not whether it is the right one. An assurance reviewer reads the "
                "evidence itself.")(lang), fmt["note"], LAST_COL)
    _headline(rows, fmt, found, lang)
    _checklist(rows, fmt, found, lang)
    _adjusted(rows, fmt, results, found, lang)
    _spread(rows, fmt, found, lang)
    _materiality(rows, fmt, found, lang)
    _sources(rows, fmt, lang)
    rows.ws.freeze_panes(3, 0)
    rows.finish()


def _formats(book) -> dict:
    base = {"font_name": "Calibri", "valign": "top", "text_wrap": True}
    return {
        "q_met": book.add_format({**base, "bold": True, "font_color": "#006100",
                                  "bg_color": "#C6EFCE"}),
        "q_not_met": book.add_format({**base, "bold": True, "font_color": "#9C0006",
                                      "bg_color": "#FFC7CE"}),
        "q_na": book.add_format({**base, "font_color": "#595959"}),
        "q_label": book.add_format({**base, "bold": True}),
        "q_share": book.add_format({"font_name": "Calibri", "valign": "top",
                                    "num_format": "0.0%"}),
        "q_big": book.add_format({"font_name": "Calibri", "bold": True, "font_size": 14,
                                  "num_format": "0.00"}),
    }


def _section(rows: _Rows, fmt, title: str) -> None:
    """A numbered part's title, on the page of its first rows."""
    rows.end_table()
    rows.skip()
    rows.keep(15 * 6)
    rows.line([(title, fmt["u_section"])] + [("", fmt["u_section"])] * LAST_COL)


def _header(rows: _Rows, fmt, heads: list[Text], lang: str) -> int:
    """A table's header row, as tall as its longest header, repeated on the next page when
    the table runs on."""
    return rows.line([(h(lang), fmt["u_header_wrap"]) for h in heads], header=True)


def _headline(rows: _Rows, fmt, found: Quality, lang: str) -> None:
    rows.skip()
    counts = found.counts(lang)
    rows.line([(T("Checklist", "Checklist")(lang), fmt["label"]), (counts, fmt["text"], 3)])
    if found.ratio is None:
        rows.line([(T("Geen inbreng, dus geen ratio.", "No inputs, so no ratio.")(lang),
                    fmt["text"])])
        return
    rows.line([(T("SROI-ratio (de resultaten)", "SROI ratio (the results)")(lang),
                fmt["label"]), (found.ratio, fmt["q_big"])])
    adjusted = found.adjusted.ratio
    rows.line([(T("Aangepast beeld: wat-als", "Adjusted view: what-if")(lang), fmt["label"]),
               (adjusted if adjusted is not None else "-", fmt["q_big"]),
               (T("Elke correctie van 0% zonder onderbouwing op de waarde in sectie 2; de "
                  "resultaten blijven zoals ze zijn.",
                  "Every 0% deduction without evidence at the value in section 2; the results "
                  "stay as they are.")(lang), fmt["note"], 4)])


def _checklist(rows: _Rows, fmt, found: Quality, lang: str) -> None:
    _section(rows, fmt, T("1. Checklist per principe", "1. Checklist by principle")(lang))
    header = _header(rows, fmt, [
        T("Principe", "Principle"), T("Punt", "Item"), T("Status", "Status"),
        T("Bevinding", "Finding"), T("Cellen", "Cells"), T("Wat te doen", "To do"),
        T("In gepubliceerde rapporten", "In published reports")], lang)
    for item in found.items:
        share = item.share
        rows.line([
            (q.PRINCIPLES[item.principle](lang), fmt["u_wrap"]),
            (item.title(lang), fmt["u_wrap"]),
            (q.STATUS[item.status](lang), fmt[STATUS_STYLE[item.status]]),
            (item.finding(lang), fmt["u_wrap"]),
            (q.cell_list(item.cells) if item.cells else "", fmt["u_wrap"]),
            (item.action(lang), fmt["u_wrap"]),
            (share if share is not None else "", fmt["q_share"])])
    statuses = f"{_at(header + 1, 2)}:{_at(header + len(found.items), 2)}"
    for status in (q.MET, q.NOT_MET, q.NOT_APPLICABLE):
        word = q.STATUS[status](lang)
        rows.line([(None, fmt["text"]), (T("Aantal", "Count")(lang) + f": {word}", fmt["label"]),
                   (_Formula(f"=COUNTIF({statuses},{literal(word)})", found.count(status)),
                    fmt["integer"])])
    rows.note(T("In gepubliceerde rapporten: het aandeel van 383 SROI-rapporten in de database "
                "van Social Value International dat dit onderdeel toont (bron onderaan).",
                "In published reports: the share of 383 SROI reports in the Social Value "
                "International database that show this element (source at the bottom).")(lang),
              fmt["note"], LAST_COL)


def _adjusted(rows: _Rows, fmt, results: Results, found: Quality, lang: str) -> None:
    _section(rows, fmt, T("2. Aangepast beeld: wat als de nullen zonder onderbouwing typische "
                          "waarden hadden", "2. Adjusted view: what if the unevidenced zeros "
                          "had typical values")(lang))
    a = found.adjusted
    rows.note(q.adjusted_sentence(found.ratio, a)(lang) + " " + T(
        "Berekend door de rekenkern op een kopie van de analyse waarin alleen die correcties "
        "zijn vervangen; het is geen schatting van de echte waarde en vervangt de cijfers van "
        "de analist niet. Pas de waarden aan op het tabblad Instellingen (Aangepast beeld).",
        "Computed by the engine on a copy of the analysis in which only those deductions are "
        "replaced; it is no estimate of the true value and does not replace the analyst's "
        "figures. Change the values on the Settings sheet (Adjusted view).")(lang),
        fmt["note"], LAST_COL)
    _header(rows, fmt, [T("Correctie", "Deduction"), T("Waarde in het aangepaste beeld",
                                                       "Value in the adjusted view"),
                        T("Nullen zonder onderbouwing", "Zeros without evidence"),
                        T("Herkomst", "Origin")], lang)
    for d in a.defaults:
        origin = ORIGIN[d.origin](lang)
        if d.origin == "typical":
            reports = q.TYPICAL[d.key][1]
            origin += T(f" ({reports} rapporten; bron onderaan)",
                        f" ({reports} reports; source at the bottom)")(lang)
        rows.line([(DEDUCTION_LABELS[d.key](lang), fmt["u_text"]),
                   (d.value if d.value is not None else "-", fmt["percent"]),
                   (d.count, fmt["integer"]), (origin, fmt["u_reason"])])
    rows.skip()
    _header(rows, fmt, [T("", ""), T("Resultaten", "Results"),
                        T("Aangepast beeld (wat-als)", "Adjusted view (what-if)")], lang)
    h = results.headline
    ratios = rows.row
    for label, before, after, style in (
            (T("SROI-ratio", "SROI ratio"), h.ratio, a.ratio, "ratio"),
            # net = ratio - 1, shown as that formula
            (T("Netto SROI-ratio", "Net SROI ratio"), h.net_ratio, a.net_ratio, "ratio"),
            (T("Contante waarde opbrengsten", "PV of outcomes"), h.pv_value, a.pv_value,
             "money")):
        cells = [(label(lang), fmt["q_label"])]
        for col, value in ((1, before), (2, after)):
            if value is None:
                value = "-"
            elif rows.row == ratios + 1 and before is not None:
                value = _Formula(f"={_at(ratios, col)}-1", value)
            cells.append((value, fmt[style]))
        rows.line(cells)
    if not a.effects:
        return
    rows.skip()
    _header(rows, fmt, [T("Opbrengst", "Outcome"), T("Belanghebbende", "Stakeholder"),
                        T("Ratio lager met", "Ratio lower by"),
                        T("Vervangen nullen", "Zeros replaced"),
                        T("Contante waarde", "Present value"),
                        T("In het aangepaste beeld", "In the adjusted view")], lang)
    for e in a.effects[:MAX_EFFECTS]:
        kinds = ", ".join(DEDUCTION_LABELS[k](lang) for k in e.deductions)
        rows.line([(e.outcome, fmt["u_wrap"]), (e.stakeholder, fmt["u_wrap"]),
                   (e.ratio_drop if e.ratio_drop is not None else "-", fmt["ratio"]),
                   (kinds, fmt["u_wrap"]), (e.pv, fmt["money"]),
                   (e.pv_adjusted, fmt["money"])])
    if len(a.effects) > MAX_EFFECTS:
        more = len(a.effects) - MAX_EFFECTS
        rows.line([(T(f"en nog {more} opbrengsten (fill --json geeft ze allemaal)",
                      f"and {more} more outcomes (fill --json lists them all)")(lang),
                    fmt["note"])])


def _spread(rows: _Rows, fmt, found: Quality, lang: str) -> None:
    _section(rows, fmt, T("3. De ratio naast gepubliceerde SROI-ratio's",
                          "3. The ratio beside published SROI ratios")(lang))
    s = q.SPREAD
    for label, value, style in (
            (T("Rapporten met een ratio", "Reports with a ratio"), s.reports, "integer"),
            (T("25e percentiel", "25th percentile"), s.p25, "ratio"),
            (T("Mediaan", "Median"), s.median, "ratio"),
            (T("75e percentiel", "75th percentile"), s.p75, "ratio"),
            (T("Hoogste tiende: boven", "Top tenth: above"), s.high, "ratio"),
            (T("Aandeel daarboven", "Share above it"), s.share_above_high, "q_share")):
        rows.line([(label(lang), fmt["label"]), (value, fmt[style])])
    if found.ratio is not None:
        rows.note(T("Deze analyse: ", "This analysis: ")(lang) + q.position(found.ratio)(lang)
                  + ".", fmt["note"], LAST_COL)
    rows.note(T("Bron: ", "Source: ")(lang) + q.SPREAD_SOURCE(lang), fmt["note"], LAST_COL)


def _materiality(rows: _Rows, fmt, found: Quality, lang: str) -> None:
    _section(rows, fmt, T("4. Materialiteitslog: uitgesloten opbrengsten",
                          "4. Materiality log: excluded outcomes")(lang))
    if not found.excluded:
        rows.line([(T("Geen opbrengsten uitgesloten (kolom Uitgesloten op het tabblad met de "
                      "opbrengsten).", "No outcomes excluded (column Excluded on the outcomes "
                      "sheet).")(lang), fmt["text"])])
        return
    _header(rows, fmt, [T("Belanghebbende", "Stakeholder"), T("Opbrengst", "Outcome"),
                        T("Uitgesloten", "Excluded"), T("Reden", "Reason"), T("Cel", "Cell")],
            lang)
    for x in found.excluded:
        rows.line([(x.stakeholder, fmt["u_wrap"]), (x.outcome, fmt["u_wrap"]),
                   (EXCLUSIONS[x.why](lang), fmt["u_wrap"]), (x.reason, fmt["u_wrap"]),
                   (str(x.at) if x.at else "", fmt["u_wrap"])])


def _sources(rows: _Rows, fmt, lang: str) -> None:
    _section(rows, fmt, T("Bronnen", "Sources")(lang))
    for label, source in ((T("Aandelen van gepubliceerde rapporten", "Shares of published "
                             "reports"), q.SHARES_SOURCE),
                          (T("Typische correcties (medianen)", "Typical deductions (medians)"),
                           q.TYPICAL_SOURCE),
                          (T("Spreiding van gepubliceerde ratio's", "Spread of published "
                             "ratios"), q.SPREAD_SOURCE)):
        rows.note(f"{label(lang)}: {source(lang)}", fmt["note"], LAST_COL)
    rows.note(T("Voor verplaatsing is geen gepubliceerde typische waarde gevonden; het aangepaste "
                "beeld gebruikt daarvoor alleen een eigen instelling.",
                "No published typical value for displacement was found; the adjusted view uses "
                "only an own setting for it.")(lang), fmt["note"], LAST_COL)
