"""The workbook's vocabulary: sheet names, column headers (Dutch and English), notes, styles.

The template generator, the reader and the writer all take their words from here, so a header
renamed in one place is renamed everywhere. Keys (``"deadweight"``) are what the code uses;
labels are what users see.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Text:
    """One label in both languages."""

    nl: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en

    def all(self) -> tuple[str, str]:
        return (self.nl, self.en)


@dataclass(frozen=True)
class Column:
    """A column of an input table: key for the code, header and note for the user."""

    key: str
    header: Text
    note: Text
    kind: str = "text"  # text, name, number, percent, integer, yesno, choice, stakeholder
    width: float = 14
    required: bool = False
    aliases: tuple[str, ...] = ()  # other headers users write for the same thing


@dataclass(frozen=True)
class Sheet:
    """An input sheet: its names and its columns (or settings rows)."""

    key: str
    name: Text
    columns: tuple[Column, ...]
    note: Text = Text("", "")

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


def _c(key, nl, en, note_nl, note_en, kind="text", width=14, required=False, aliases=()):
    return Column(key, Text(nl, en), Text(note_nl, note_en), kind, width, required, aliases)


# Settings are rows, not columns: each "column" here is one setting row of the sheet.
SETTINGS = Sheet(
    "settings",
    Text("Instellingen", "Settings"),
    (
        _c("name", "Naam analyse", "Analysis name",
           "Naam van de interventie of analyse; komt boven de resultaten.",
           "Name of the intervention or analysis; shown above the results.", width=40),
        _c("organisation", "Organisatie", "Organisation",
           "Wie de analyse maakt of laat maken.", "Who makes or commissions the analysis."),
        _c("analysis_type", "Soort analyse", "Analysis type",
           "prognose (vooraf, verwachte effecten) of evaluatief (achteraf, gemeten effecten).",
           "forecast (expected outcomes) or evaluative (measured outcomes).", kind="choice"),
        _c("first_year", "Eerste jaar (kalenderjaar)", "First year (calendar year)",
           "Kalenderjaar van analysejaar 1, bijv. 2025. Leeg laten mag.",
           "Calendar year of analysis year 1, e.g. 2025. May be left blank.", kind="integer"),
        _c("years", "Aantal jaren (horizon)", "Number of years (horizon)",
           "Over hoeveel jaren de analyse loopt (1 of meer).",
           "How many years the analysis covers (1 or more).", kind="integer", required=True),
        _c("discount_rate", "Discontovoet effecten", "Discount rate (outcomes)",
           "Jaarlijkse discontovoet voor opbrengsten. 2,25% is de Nederlandse MKBA-richtlijn, "
           "3,5% het Britse Green Book, 0% betekent niet verdisconteren.",
           "Yearly discount rate for outcomes. 2.25% is the Dutch SCBA guideline, 3.5% the UK "
           "Green Book, 0% means no discounting.", kind="percent"),
        _c("discount_rate_inputs", "Discontovoet inbreng", "Discount rate (inputs)",
           "Leeg = gelijk aan de discontovoet voor effecten. De richtlijn voor "
           "gezondheidseconomie gebruikt 3% voor kosten en 1,5% voor effecten.",
           "Blank = same as for outcomes. The Dutch health-economics guideline uses 3% for "
           "costs and 1.5% for effects.", kind="percent"),
        _c("discount_inputs", "Inbreng verdisconteren", "Discount inputs",
           "ja: inbreng in latere jaren wordt net als opbrengsten verdisconteerd. nee: inbreng "
           "telt tegen nominale waarde. Inbreng in jaar 0 wordt nooit verdisconteerd.",
           "yes: inputs in later years are discounted like outcomes. no: inputs count at face "
           "value. Year-0 inputs are never discounted.", kind="yesno"),
        _c("beyond_horizon", "Effecten na horizon meetellen", "Count outcomes beyond horizon",
           "ja: een effect dat langer duurt dan de horizon telt door tot het einde van zijn "
           "duur. nee (standaard): alleen jaren binnen de horizon tellen.",
           "yes: an outcome lasting past the horizon counts until its duration ends. no "
           "(default): only years within the horizon count.", kind="yesno"),
        _c("price_year", "Prijspeil (jaar)", "Price year",
           "Het jaar waarin alle bedragen zijn uitgedrukt.",
           "The year in whose prices all amounts are expressed.", kind="integer"),
        _c("currency", "Valuta", "Currency",
           "Valutacode, standaard EUR.", "Currency code, EUR by default."),
        _c("note", "Toelichting bij resultaten", "Note on the results",
           "Tekst die boven de resultaten komt, bijv. welke conventie de ratio volgt en "
           "waarom.", "Text shown above the results, e.g. which convention the ratio follows "
           "and why.", width=60),
        _c("scenario", "Scenario voor resultaten", "Scenario for results",
           "Leeg = basiswaarden. Anders de naam van een scenario op het tabblad Scenario's.",
           "Blank = base values. Otherwise the name of a scenario on the Scenarios sheet.",
           kind="scenario"),
        _c("mc_draws", "Monte Carlo: aantal trekkingen", "Monte Carlo: number of draws",
           "Hoe vaak de aannames met een verdeling (tabblad Aannames) worden getrokken; "
           "standaard 10.000, 0 = geen Monte Carlo.",
           "How many times the assumptions with a distribution (Assumptions sheet) are drawn; "
           "10,000 by default, 0 = no Monte Carlo.", kind="integer"),
        _c("mc_seed", "Monte Carlo: startgetal (seed)", "Monte Carlo: seed",
           "Hetzelfde startgetal geeft dezelfde trekkingen en dus dezelfde uitkomsten; leeg = "
           "12345.", "The same seed gives the same draws and so the same results; blank = "
           "12345.", kind="integer"),
        _c("sensitivity_step", "Gevoeligheid: stap aftrekposten",
           "Sensitivity: step for deductions",
           "Hoeveel procentpunt deadweight, attributie, verplaatsing en uitdoving omlaag en "
           "omhoog gaan in de gevoeligheidsanalyse; standaard 10%.",
           "By how many percentage points deadweight, attribution, displacement and drop-off "
           "move down and up in the sensitivity analysis; 10% by default.", kind="percent"),
        _c("switching_stakeholder", "Omslagpunt voor belanghebbende",
           "Switching values for stakeholder",
           "Optioneel: een belanghebbende. Het tabblad Gevoeligheid toont dan ook bij welke "
           "waarde de netto contante waarde van deze partij 0 is. Een naam die niet op het "
           "tabblad Belanghebbenden staat, wordt genegeerd (met een waarschuwing).",
           "Optional: a stakeholder. The Sensitivity sheet then also shows at which value this "
           "party's net present value is 0. A name that is not on the Stakeholders sheet is "
           "ignored, with a warning.", kind="stakeholder"),
        _c("counterfactual", "Nulalternatief", "Counterfactual",
           "Wat er zonder de interventie zou gebeuren: de situatie waarmee elke opbrengst wordt "
           "vergeleken (en waaruit deadweight volgt). Het tabblad Kwaliteit meldt het als dit "
           "leeg is.",
           "What would happen without the intervention: the situation every outcome is compared "
           "with (and deadweight follows from). The Quality sheet says so when it is blank.",
           width=60),
        *(_c(f"adjusted_{key}", f"Aangepast beeld: {nl}", f"Adjusted view: {en}",
             f"Wat-als op het tabblad Kwaliteit (verandert de resultaten niet): een {nl} van 0% "
             f"zonder onderbouwing telt daar als deze waarde. {note_nl}",
             f"What-if on the Quality sheet (does not change the results): a {en} of 0% without "
             f"evidence counts there as this value. {note_en}", kind="percent")
          for key, nl, en, note_nl, note_en in (
              ("deadweight", "deadweight", "deadweight",
               "Leeg = 20%, de mediaan van 154 SROI-rapporten (Muñoz Mora, SROI Adjustment "
               "Factor Benchmarks, 2026); 0% = niet aanpassen.",
               "Blank = 20%, the median of 154 SROI reports (Muñoz Mora, SROI Adjustment Factor "
               "Benchmarks, 2026); 0% = do not adjust."),
              ("attribution", "attributie", "attribution",
               "Leeg = 25,5%, de mediaan van 216 SROI-rapporten (zelfde bron); 0% = niet "
               "aanpassen.",
               "Blank = 25.5%, the median of 216 SROI reports (same source); 0% = do not "
               "adjust."),
              ("displacement", "verplaatsing", "displacement",
               "Leeg = niet aanpassen: er is geen gepubliceerde typische waarde meegeleverd; "
               "vul je eigen waarde in en noem de bron.",
               "Blank = do not adjust: no published typical value is shipped; type your own and "
               "name its source."),
              ("dropoff", "uitdoving", "drop-off",
               "Alleen voor opbrengsten die langer dan een jaar duren. Leeg = 21,5%, de mediaan "
               "van 90 SROI-rapporten (zelfde bron); 0% = niet aanpassen.",
               "Only for outcomes lasting more than a year. Blank = 21.5%, the median of 90 SROI "
               "reports (same source); 0% = do not adjust."))),
    ),
    Text("Vul kolom B in. Gele cellen zijn invoer.", "Fill in column B. Yellow cells are input."),
)
SETTINGS_HEADERS = (
    Text("Instelling", "Setting"), Text("Waarde", "Value"), Text("Toelichting", "Explanation"),
)

STAKEHOLDERS = Sheet(
    "stakeholders",
    Text("Belanghebbenden", "Stakeholders"),
    (
        _c("name", "Belanghebbende", "Stakeholder",
           "Korte, unieke naam; andere tabbladen verwijzen ernaar.",
           "Short, unique name; other sheets refer to it.", kind="name", width=28, required=True,
           aliases=("Stakeholder", "Naam", "Name")),
        _c("description", "Omschrijving", "Description",
           "Wie dit is en waarom de partij meetelt.",
           "Who this is and why they count.", width=60),
        _c("category", "Categorie", "Category",
           "Soort partij, voor 'wie betaalt, wie wint' per categorie over analyses heen: kies "
           "uit de lijst (bijv. Gemeente, Zorgverzekeraar) of typ een eigen categorie.",
           "Kind of party, for 'who pays, who gains' by category across analyses: pick from "
           "the list (e.g. Municipality, Health insurer) or type a category of your own.",
           kind="category", width=24, aliases=("Soort belanghebbende", "Stakeholder type")),
        _c("involvement", "Betrokken via", "Involved through",
           "Hoe deze partij bij de analyse is betrokken: interview, enquête, workshop, "
           "literatuur of geen; een korte toelichting mag erachter. Het tabblad Kwaliteit meldt "
           "elke partij met opbrengsten waarbij dit leeg of geen is.",
           "How this party was involved in the analysis: interview, survey, workshop, "
           "literature or none; a short note may follow. The Quality sheet names every party "
           "with outcomes for which this is blank or none.", kind="choice", width=28),
    ),
)

ASSUMPTIONS = Sheet(
    "assumptions",
    Text("Aannames", "Assumptions"),
    (
        _c("name", "Naam", "Name",
           "Naam zonder spaties (bijv. Trajecten); gebruik hem in formules als =Trajecten*Bereik.",
           "Name without spaces (e.g. Trajectories); use it in formulas as "
           "=Trajectories*Reach.", kind="name", width=24, required=True),
        _c("value", "Waarde", "Value",
           "Het getal (of percentage) dat je aanneemt; mag een formule zijn.",
           "The number (or percentage) assumed; may be a formula.", kind="number",
           required=True, width=14),
        _c("unit", "Eenheid", "Unit", "Bijv. trajecten, %, euro per uur.",
           "E.g. trajectories, %, euro per hour.", width=16),
        _c("source", "Bron", "Source",
           "Waar het getal vandaan komt: rapport, registratie, expertschatting.",
           "Where the number comes from: report, register, expert estimate.", width=48),
        _c("low", "Laag", "Low", "Laagste plausibele waarde (voor gevoeligheid).",
           "Lowest plausible value (for sensitivity).", kind="number"),
        _c("high", "Hoog", "High", "Hoogste plausibele waarde (voor gevoeligheid).",
           "Highest plausible value (for sensitivity).", kind="number"),
        _c("distribution", "Verdeling", "Distribution",
           "Voor Monte Carlo: uniform (tussen laag en hoog), driehoek of PERT (laag, waarde, "
           "hoog), of vast (niet trekken). Leeg = driehoek als laag en hoog zijn ingevuld.",
           "For Monte Carlo: uniform (between low and high), triangular or PERT (low, value, "
           "high), or fixed (not drawn). Blank = triangular when low and high are filled in.",
           kind="choice", width=12),
    ),
    Text("Per jaar een andere waarde? Vul de kolommen Jaar 1, Jaar 2, ... in.",
         "A different value per year? Fill in the columns Year 1, Year 2, ..."),
)
YEAR_COLUMN = Text("Jaar {n}", "Year {n}")
TEMPLATE_YEAR_COLUMNS = 10

INPUT_KINDS = {"money": Text("geld", "money"), "hours": Text("uren", "hours"),
               "in_kind": Text("in natura", "in kind")}
INPUTS = Sheet(
    "inputs",
    Text("Inbreng", "Inputs"),
    (
        _c("stakeholder", "Belanghebbende", "Stakeholder",
           "Wie de inbreng levert; kies uit de lijst van Belanghebbenden.",
           "Who contributes; pick from the Stakeholders list.", kind="stakeholder", width=24,
           required=True),
        _c("description", "Omschrijving", "Description", "Wat er wordt ingebracht.",
           "What is contributed.", width=36),
        _c("kind", "Soort", "Type",
           "geld, uren (uren x uurtarief) of in natura (gewaardeerd bedrag).",
           "money, hours (hours x rate) or in kind (valued amount).", kind="choice", width=12),
        _c("amount", "Bedrag", "Amount",
           "Bedrag in euro voor geld of in natura; getal, formule of de code van een "
           "referentieprijs.",
           "Amount for money or in kind; number, formula or the code of a reference price.",
           kind="number", width=14),
        _c("hours", "Uren", "Hours", "Aantal uren bij soort uren; getal of formule.",
               "Number of hours for type hours; number or formula.", kind="number", width=10),
        _c("rate", "Uurtarief", "Hourly rate",
           "Tarief per uur bij soort uren; getal, formule of de code van een referentieprijs.",
           "Rate per hour for type hours; number, formula or the code of a reference price.",
           kind="number", width=12),
        _c("year", "Jaar", "Year",
           "Analysejaar van de inbreng: 0 = bij de start (nooit verdisconteerd), 1 = eerste "
           "jaar. Een kalenderjaar mag ook als Eerste jaar is ingesteld.",
           "Analysis year of the input: 0 = at the start (never discounted), 1 = first year. "
           "A calendar year works too when First year is set.", kind="integer", width=8),
        _c("recurring", "Jaarlijks", "Every year",
           "ja: elk jaar vanaf Jaar tot het einde van de horizon. nee: eenmalig.",
           "yes: every year from Year to the end of the horizon. no: one-off.", kind="yesno",
           width=10),
        _c("source", "Bron / toelichting", "Source / note", "Waar het bedrag vandaan komt.",
           "Where the amount comes from.", width=40),
    ),
)

OUTCOMES = Sheet(
    "outcomes",
    Text("Opbrengsten", "Outcomes"),
    (
        _c("stakeholder", "Belanghebbende", "Stakeholder",
           "Voor wie de verandering is; kies uit de lijst van Belanghebbenden.",
           "Who the change is for; pick from the Stakeholders list.", kind="stakeholder",
           width=22, required=True),
        _c("outcome", "Opbrengst", "Outcome", "De verandering, kort beschreven.",
           "The change, briefly.", width=32, required=True,
           aliases=("Uitkomst", "Effect", "Baat")),
        _c("indicator", "Indicator", "Indicator", "Hoe de opbrengst wordt geteld.",
           "How the outcome is counted.", width=24),
        _c("quantity", "Aantal", "Quantity",
           "Hoeveel eenheden per jaar; getal of formule over aannames (=Trajecten*Bereik).",
           "How many units a year; number or formula over assumptions (=Trajectories*Reach).",
           kind="number", width=14, aliases=("Omvang",)),
        _c("proxy", "Financiële proxy", "Financial proxy",
           "Waarde van één eenheid in euro; getal, formule, of de code van een referentieprijs "
           "(bijv. QALY), die dan naar het prijspeil wordt geïndexeerd.",
           "Value of one unit; number, formula, or the code of a reference price (e.g. QALY), "
           "which is then indexed to the price year.", kind="number", width=14,
           aliases=("Financiele proxy", "Proxy", "Tarief", "Kostprijs", "Waardering")),
        _c("proxy_source", "Bron proxy", "Proxy source", "Waar de proxy vandaan komt.",
           "Where the proxy comes from.", width=30),
        _c("deadweight", "Deadweight", "Deadweight",
           "Deel dat ook zonder de interventie was gebeurd (0% - 100%).",
           "Share that would have happened anyway (0% - 100%).", kind="percent", width=12),
        _c("attribution", "Attributie", "Attribution",
           "Deel dat door anderen is veroorzaakt (0% - 100%).",
           "Share caused by others (0% - 100%).", kind="percent", width=12),
        _c("displacement", "Verplaatsing", "Displacement",
           "Deel dat alleen elders is verdwenen (0% - 100%).",
           "Share that only moved elsewhere (0% - 100%).", kind="percent", width=12),
        _c("dropoff", "Uitdoving", "Drop-off",
           "Jaarlijkse afname van een blijvend effect, vanaf het tweede jaar (0% - 100%).",
           "Yearly decline of a lasting outcome, from its second year (0% - 100%).",
           kind="percent", width=12, aliases=("Afname",)),
        _c("duration", "Duur (jaren)", "Duration (years)",
           "Hoeveel jaren het effect van één jaar doorwerkt (standaard 1).",
           "How many years one year's outcome lasts (default 1).", kind="integer", width=10),
        _c("first_year", "Eerste jaar", "First year",
           "Analysejaar waarin het effect (voor het eerst) optreedt; standaard 1.",
           "Analysis year in which the outcome (first) occurs; default 1.", kind="integer",
           width=10),
        _c("recurring", "Jaarlijks", "Every year",
           "ja: treedt elk jaar op vanaf Eerste jaar (nieuwe groep per jaar). nee: eenmalig.",
           "yes: occurs every year from First year (a new group each year). no: once.",
           kind="yesno", width=10),
        _c("monetised", "Gemonetariseerd", "Monetised",
           "nee: kwalitatieve opbrengst, wordt vermeld maar niet gewaardeerd.",
           "no: qualitative outcome, listed but not valued.", kind="yesno", width=14),
        _c("evidence", "Onderbouwing correcties", "Evidence for adjustments",
           "Bron of redenering achter deadweight, attributie, verplaatsing, uitdoving en duur "
           "(rapport, paragraaf, meting). Tekst die een correctie noemt, onderbouwt die; tekst "
           "die er geen noemt, geldt voor alle vier. Een correctie van 0% zonder onderbouwing "
           "meldt het tabblad Kwaliteit. Bevestig hier een mogelijke dubbeltelling met het "
           "woord dubbeltelling.",
           "Source or reasoning behind deadweight, attribution, displacement, drop-off and "
           "duration (report, section, measurement). Text that names an adjustment evidences "
           "it; text that names none counts for all four. The Quality sheet names a 0% "
           "adjustment without evidence. Confirm a possible double count here with the words "
           "double count.", width=48),
        _c("excluded", "Uitgesloten", "Excluded",
           "Leeg = telt mee. Anders niet materieel, dubbeltelling of buiten scope: de opbrengst "
           "wordt vermeld maar niet gewaardeerd (materialiteitslog op het tabblad Kwaliteit).",
           "Blank = counted. Otherwise not material, double counted or out of scope: the "
           "outcome is listed but not valued (materiality log on the Quality sheet).",
           kind="choice", width=16),
        _c("exclusion_reason", "Reden uitsluiting", "Reason for exclusion",
           "Waarom de opbrengst is uitgesloten.", "Why the outcome is excluded.", width=36),
    ),
)

SCENARIOS = Sheet(
    "scenarios",
    Text("Scenario's", "Scenarios"),
    (
        _c("scenario", "Scenario", "Scenario", "Naam van het scenario, bijv. minimum.",
           "Name of the scenario, e.g. minimum.", kind="name", width=18, required=True),
        _c("assumption", "Aanname", "Assumption", "Naam van de aanname die anders is.",
           "Name of the assumption that differs.", kind="assumption", width=24, required=True),
        _c("value", "Waarde", "Value", "De waarde in dit scenario.", "The value in this scenario.",
           kind="number", width=14, required=True),
        _c("note", "Toelichting", "Note", "Waarom deze waarde.", "Why this value.", width=48),
    ),
)

REFERENCE_PRICES = Sheet(
    "reference_prices",
    Text("Referentieprijzen", "Reference prices"),
    (
        _c("code", "Code", "Code",
           "Korte, unieke code. Typ de code (of de kostenpost) in plaats van een getal in een "
           "proxy-, uurtarief- of bedragcel, bijv. QALY; de tool indexeert de prijs dan naar "
           "het prijspeil van de analyse.",
           "Short, unique code. Type the code (or the item) instead of a number in a proxy, "
           "hourly rate or amount cell, e.g. QALY; the tool then indexes the price to the "
           "analysis price year.", width=16),
        _c("item", "Kostenpost", "Item", "Wat de prijs waardeert; uniek.",
           "What the price values; unique.", width=44, required=True,
           aliases=("Omschrijving", "Referentieprijs", "Reference price", "Description")),
        _c("unit", "Eenheid", "Unit", "Prijs per wat: uur, consult, dag, jaar.",
           "Price per what: hour, consultation, day, year.", width=22),
        _c("price", "Prijs", "Price", "De prijs in euro, in prijzen van het basisjaar.",
           "The price, in prices of the base year.", kind="number", width=12, required=True),
        _c("base_year", "Basisjaar", "Base year",
           "Het prijspeil van de bron, bijv. 2014. Leeg = wordt niet geïndexeerd.",
           "The price year of the source, e.g. 2014. Blank = never indexed.", kind="integer",
           width=10),
        _c("source", "Bron", "Source", "Waar de prijs vandaan komt.",
           "Where the price comes from.", width=48),
        _c("published", "Gepubliceerde waarde", "Published value",
           "Optioneel: een gepubliceerde (afgeronde) waarde voor het jaar ernaast. Is dat het "
           "prijspeil van de analyse, dan telt deze waarde in plaats van de exact "
           "geïndexeerde prijs; het rekenspoor vermeldt dat.",
           "Optional: a published (rounded) value for the year next to it. When that is the "
           "analysis price year, it is used instead of the exactly indexed price; the "
           "calculation trail says so.", kind="number", width=12),
        _c("published_year", "Jaar gepubliceerde waarde", "Year of published value",
           "Het prijspeil van de gepubliceerde waarde.",
           "The price year of the published value.", kind="integer", width=12),
        _c("published_source", "Bron gepubliceerde waarde", "Source of published value",
           "Waar de gepubliceerde waarde staat.", "Where the published value is published.",
           width=36),
        _c("index", "Index", "Index",
           "Naam van de prijsindex op het tabblad Prijsindex; leeg = de index op de eerste "
           "regel daar (CPI).",
           "Name of the price index on the Price index sheet; blank = the index on its first "
           "row (CPI).", width=10),
    ),
)

PRICE_INDEX = Sheet(
    "price_index",
    Text("Prijsindex", "Price index"),
    (
        _c("year", "Jaar", "Year",
           "Kalenderjaar. Nodig: het basisjaar van elke gebruikte referentieprijs en het "
           "prijspeil van de analyse (Instellingen).",
           "Calendar year. Needed: the base year of every reference price used and the "
           "analysis price year (Settings).", kind="integer", width=8, required=True),
        _c("value", "Indexcijfer", "Index value",
           "Het indexcijfer voor dat jaar, bijv. CPI van CBS StatLine; alle jaren uit dezelfde "
           "reeks (zelfde basisjaar).",
           "The index value for that year, e.g. the CBS StatLine CPI; every year from the same "
           "series (same base).", kind="number", width=12, required=True),
        _c("name", "Naam index", "Index name",
           "Bijv. CPI. Meer reeksen mag; een referentieprijs kiest er een in kolom Index.",
           "E.g. CPI. Several series may be listed; a reference price picks one in its Index "
           "column.", width=14),
        _c("source", "Bron", "Source", "Waar het indexcijfer vandaan komt.",
           "Where the index value comes from.", width=48),
    ),
)

INPUT_SHEETS = (SETTINGS, STAKEHOLDERS, ASSUMPTIONS, INPUTS, OUTCOMES, SCENARIOS,
                REFERENCE_PRICES, PRICE_INDEX)
README_SHEET = Text("Lees mij", "Read me")

YES = Text("ja", "yes")
NO = Text("nee", "no")
ANALYSIS_TYPES = {"forecast": Text("prognose", "forecast"),
                  "evaluative": Text("evaluatief", "evaluative")}
INVOLVEMENT = {"interview": Text("interview", "interview"),
               "survey": Text("enquête", "survey"),
               "workshop": Text("workshop", "workshop"),
               "literature": Text("literatuur", "literature"),
               "none": Text("geen", "none")}
EXCLUSIONS = {"not_material": Text("niet materieel", "not material"),
              "double_counted": Text("dubbeltelling", "double counted"),
              "out_of_scope": Text("buiten scope", "out of scope")}
DISTRIBUTIONS = {"uniform": Text("uniform", "uniform"),
                 "triangular": Text("driehoek", "triangular"),
                 "pert": Text("PERT", "PERT"),
                 "fixed": Text("vast", "fixed")}

# Result sheets are owned by the tool: fill replaces them, nothing else.
RESULT_SHEETS = {
    "results": Text("Resultaten", "Results"),
    "stakeholders": Text("Per belanghebbende", "By stakeholder"),
    "outcomes": Text("Per opbrengst", "By outcome"),
    "years": Text("Per jaar", "By year"),
    "trail": Text("Rekenspoor", "Calculation trail"),
    "input_trail": Text("Rekenspoor inbreng", "Input trail"),
    "sensitivity": Text("Gevoeligheid", "Sensitivity"),
    "monte_carlo": Text("Monte Carlo", "Monte Carlo"),
    "quality": Text("Kwaliteit", "Quality"),
}


def name_key(name: str) -> str:
    """A stakeholder's name folded for comparison: case ignored and in one Unicode form (NFC),
    so that 'Cliënt' typed as one character or as e and a combining diaeresis is one name."""
    return unicodedata.normalize("NFC", name).casefold()


def normalise(label: object) -> str:
    """Header text folded for matching: case, accents, spacing and punctuation ignored."""
    text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9%]+", " ", text.lower()).strip()


def header_lookup(sheet: Sheet) -> dict[str, str]:
    """Normalised header (either language, or an alias) -> column key."""
    table: dict[str, str] = {}
    for col in sheet.columns:
        for label in (*col.header.all(), *col.aliases):
            table.setdefault(normalise(label), col.key)
    return table


def sheet_lookup() -> dict[str, Sheet]:
    """Normalised sheet name (either language) -> input sheet."""
    return {normalise(name): sheet for sheet in INPUT_SHEETS for name in sheet.name.all()}


_BOOL_WORDS = {
    "ja": True, "yes": True, "j": True, "y": True, "true": True, "waar": True, "1": True,
    "x": True, "nee": False, "no": False, "n": False, "false": False, "onwaar": False,
    "0": False,
}


def parse_yesno(value: object) -> bool | None:
    """True/False for yes/no words in either language; None when not recognised."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(value)
    return _BOOL_WORDS.get(normalise(value))


def parse_choice(value: object, choices: dict[str, Text]) -> str | None:
    """The key of a choice written in either language (or as its key); None if unknown."""
    wanted = normalise(value)
    for key, text in choices.items():
        if wanted in (normalise(key), *(normalise(t) for t in text.all())):
            return key
    return None


# Cell styles as xlsxwriter format properties; the template and the result sheets share them.
INPUT_FILL = "#FFF2CC"
HEADER_FILL = "#1F3864"
TOTAL_FILL = "#D9E1F2"
FONT = "Calibri"


def currency_format(currency: str = "EUR", decimals: int = 2) -> str:
    """An Excel number format for amounts with thousands separators in the given currency."""
    symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(currency.upper(), currency.upper())
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    return f'"{symbol}" {digits};-"{symbol}" {digits}'


STYLES: dict[str, dict] = {
    "title": {"bold": True, "font_size": 14, "font_color": HEADER_FILL},
    "subtitle": {"italic": True, "font_color": "#595959"},
    "header": {"bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL,
               "text_wrap": True, "valign": "top", "border": 1},
    "label": {"bold": True},
    "text": {},
    "wrap": {"text_wrap": True, "valign": "top"},
    "note": {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"},
    "input": {"bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF"},
    "input_number": {"bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF",
                     "num_format": "#,##0.####"},
    "input_percent": {"bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF",
                      "num_format": "0.0#%"},
    "input_integer": {"bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF",
                      "num_format": "0"},
    "number": {"num_format": "#,##0.00"},
    "integer": {"num_format": "0"},
    "percent": {"num_format": "0.0%"},
    "rate": {"num_format": "0.00%"},
    "ratio": {"num_format": "0.00"},
    "factor": {"num_format": "0.0000"},
    "big_ratio": {"bold": True, "font_size": 14, "num_format": "0.00"},
    "total_label": {"bold": True, "top": 1, "bg_color": TOTAL_FILL},
    "total_number": {"bold": True, "top": 1, "bg_color": TOTAL_FILL, "num_format": "#,##0.00"},
    "total_ratio": {"bold": True, "top": 1, "bg_color": TOTAL_FILL, "num_format": "0.00"},
    "warning": {"font_color": "#9C0006"},
}


# Result tables: column key -> (header, style). Keys are the engine's DataFrame columns.
RESULT_COLUMNS: dict[str, tuple[Text, str]] = {
    "outcome_no": (Text("Nr.", "No."), "integer"),
    "input_no": (Text("Nr.", "No."), "integer"),
    "stakeholder": (Text("Belanghebbende", "Stakeholder"), "text"),
    "outcome": (Text("Opbrengst", "Outcome"), "text"),
    "indicator": (Text("Indicator", "Indicator"), "text"),
    "description": (Text("Omschrijving", "Description"), "text"),
    "kind": (Text("Soort", "Type"), "text"),
    "occurs_in": (Text("Optreden in jaar", "Occurs in year"), "integer"),
    "occurs_from": (Text("Optreden vanaf jaar", "Occurs from year"), "integer"),
    "occurs_to": (Text("Optreden t/m jaar", "Occurs up to year"), "integer"),
    "year": (Text("Jaar", "Year"), "integer"),
    "calendar_year": (Text("Kalenderjaar", "Calendar year"), "integer"),
    "age": (Text("Jaren na optreden", "Years since"), "integer"),
    "quantity": (Text("Aantal", "Quantity"), "number"),
    "proxy": (Text("Financiële proxy", "Financial proxy"), "money"),
    "proxy_source": (Text("Bron proxy", "Proxy source"), "text"),
    "gross": (Text("Bruto waarde", "Gross value"), "money"),
    "deadweight": (Text("Deadweight", "Deadweight"), "percent"),
    "displacement": (Text("Verplaatsing", "Displacement"), "percent"),
    "attribution": (Text("Attributie", "Attribution"), "percent"),
    "claim": (Text("Impact claim", "Impact claim"), "percent"),
    "impact": (Text("Impact", "Impact"), "money"),
    "dropoff": (Text("Uitdoving", "Drop-off"), "percent"),
    "persistence": (Text("Factor uitdoving", "Drop-off factor"), "factor"),
    "value": (Text("Waarde", "Value"), "money"),
    "discount_factor": (Text("Disconteringsfactor", "Discount factor"), "factor"),
    "discount_factor_inputs": (Text("Disc.factor inbreng", "Discount factor inputs"), "factor"),
    "discount_factor_value": (Text("Disc.factor opbrengsten", "Discount factor outcomes"),
                              "factor"),
    "present_value": (Text("Contante waarde", "Present value"), "money"),
    "duration": (Text("Duur (jaren)", "Duration (years)"), "integer"),
    "first_year": (Text("Eerste jaar", "First year"), "integer"),
    "recurring": (Text("Jaarlijks", "Every year"), "yesno"),
    "share": (Text("Aandeel", "Share"), "percent"),
    "inputs": (Text("Inbreng", "Inputs"), "money"),
    "net": (Text("Netto", "Net"), "money"),
    "ratio": (Text("Ratio", "Ratio"), "ratio"),
    "net_ratio": (Text("Netto ratio", "Net ratio"), "ratio"),
    "amount": (Text("Bedrag", "Amount"), "money"),
    "pv_inputs": (Text("Contante waarde inbreng", "PV inputs"), "money"),
    "pv_value": (Text("Contante waarde opbrengsten", "PV outcomes"), "money"),
    "cumulative_pv_inputs": (Text("Cumulatief inbreng", "Cumulative inputs"), "money"),
    "cumulative_pv_value": (Text("Cumulatief opbrengsten", "Cumulative value"), "money"),
    "cumulative_net": (Text("Cumulatief netto", "Cumulative net"), "money"),
    "note": (Text("Bron / toelichting", "Source / note"), "text"),
    # Reference prices (only in tables where one is used): base price, both index values.
    "price_item": (Text("Referentieprijs", "Reference price"), "text"),
    "base_price": (Text("Basisprijs", "Base price"), "money"),
    "base_year": (Text("Basisjaar", "Base year"), "integer"),
    "index_base": (Text("Index basisjaar", "Index base year"), "number"),
    "index_price_year": (Text("Index prijspeil", "Index price year"), "number"),
    "price_note": (Text("Toelichting prijs", "Price note"), "text"),
}


# -- stakeholder categories ------------------------------------------------------------------
# The kinds of party a "who pays, who gains" table groups by. A category typed in either
# language, in any case, with or without accents, or as one of the other words below names the
# kind; any other text is a category of its own.
CATEGORIES: dict[str, Text] = {
    "municipality": Text("Gemeente", "Municipality"),
    "central_government": Text("Rijk / centrale overheid", "Central government"),
    "health_insurer": Text("Zorgverzekeraar", "Health insurer"),
    "care_office": Text("Zorgkantoor / Wlz", "Care office / long-term care"),
    "care_provider": Text("Zorgaanbieder", "Care provider"),
    "employer": Text("Werkgever", "Employer"),
    "participant": Text("Deelnemer / cliënt", "Participant / client"),
    "informal_carer": Text("Mantelzorger", "Informal carer"),
    "volunteer": Text("Vrijwilliger", "Volunteer"),
    "housing_corporation": Text("Woningcorporatie", "Housing corporation"),
    "other": Text("Overig", "Other"),
}
_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "municipality": ("gemeenten", "gemeentes", "municipalities", "council", "local authority",
                     "local council", "local government"),
    "central_government": ("rijk", "rijksoverheid", "centrale overheid", "national government",
                           "central governments"),
    "health_insurer": ("zorgverzekeraars", "health insurers", "health insurance",
                       "zorgverzekering"),
    "care_office": ("zorgkantoor", "zorgkantoren", "wlz", "care office", "care offices",
                    "long-term care", "wlz uitvoerder"),
    "care_provider": ("zorgaanbieders", "care providers", "zorginstelling", "zorginstellingen",
                      "healthcare provider", "health care provider"),
    "employer": ("werkgevers", "employers"),
    "participant": ("deelnemer", "deelnemers", "cliënt", "cliënten", "client", "clients",
                    "participant", "participants", "deelnemers / cliënten"),
    "informal_carer": ("mantelzorgers", "informal carers", "carer", "carers", "family carer"),
    "volunteer": ("vrijwilligers", "volunteers"),
    "housing_corporation": ("woningcorporaties", "housing corporations", "housing association",
                            "housing associations", "woningbouwcorporatie"),
    "other": ("overige", "others", "anders"),
}
NO_CATEGORY = Text("(geen categorie)", "(no category)")


@functools.cache
def _category_lookup() -> dict[str, str]:
    """Folded word (key, either label, other words) -> category key."""
    table: dict[str, str] = {}
    for key, label in CATEGORIES.items():
        for word in (key, *label.all(), *_CATEGORY_WORDS.get(key, ())):
            table.setdefault(normalise(word), key)
    return table


def category_of(value: object) -> str:
    """A typed category as the tool keeps it: the key of one of CATEGORIES when it names one
    (either language, any case or Unicode form), otherwise the text itself (NFC, single
    spaces); "" for none."""
    if value is None:
        return ""
    typed = " ".join(unicodedata.normalize("NFC", str(value)).split())
    if not typed:
        return ""
    folded = normalise(typed)
    if folded in (normalise(NO_CATEGORY.nl), normalise(NO_CATEGORY.en)):
        return ""  # the label the result sheets show for none, typed back
    return _category_lookup().get(folded, typed) if folded else typed


def category_key(value: object) -> str:
    """What categories are grouped by: one key per kind, free text with case ignored."""
    return category_of(value).casefold()


def category_label(category: str, lang: str) -> str:
    """A category as shown: a kind's label in ``lang``, free text as typed, or NO_CATEGORY."""
    if not category:
        return NO_CATEGORY(lang)
    kind = CATEGORIES.get(category_of(category))
    return kind(lang) if kind is not None else category


def category_rank(category: str) -> int:
    """Sort order: the kinds as listed, free text before "other", no category last."""
    if not category:
        return len(CATEGORIES) + 1
    key = category_of(category)
    if key == "other":
        return len(CATEGORIES)
    if key in CATEGORIES:
        return list(CATEGORIES).index(key)
    return len(CATEGORIES) - 1


# Result columns of the tables by category (the engine's and the portfolio's).
RESULT_COLUMNS.update({
    "category": (Text("Categorie", "Category"), "text"),
    "stakeholders": (Text("Aantal belanghebbenden", "Number of stakeholders"), "integer"),
    "share_inputs": (Text("Aandeel inbreng", "Share of inputs"), "percent"),
    "share_value": (Text("Aandeel opbrengsten", "Share of outcomes"), "percent"),
})
