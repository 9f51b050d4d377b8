"""What a comparison says in sentences, in Dutch and English: the notes on what was matched,
left out or could not be split, and how the change was split (the method)."""

from __future__ import annotations

from ..schema import Text
from .changes import NONE

ASSUMPTION_ADDED = Text("toegevoegd; telt alleen waar een formule de naam gebruikt",
                        "added; counts only where a formula uses the name")
ASSUMPTION_REMOVED = Text("verwijderd; geen formule gebruikt de naam nog",
                          "removed; no formula uses the name any more")
RANGE_ONLY = Text("bereik en verdeling tellen alleen in gevoeligheid en Monte Carlo",
                  "range and distribution count only in the sensitivity and Monte Carlo")
OTHER_SCENARIO = Text("scenario niet in de resultaten", "scenario not in the results")
NO_RATIO = Text(
    "Het verschil in de ratio is niet per wijziging te verdelen: een tussenstand heeft geen "
    "(of vrijwel geen) inbreng en dus geen ratio. Het verschil in de NPV wel.",
    "The change in the ratio cannot be split over the changes: a model in between has no "
    "inputs (or next to none) and so no ratio. The change in the NPV can.")
NOT_VALUED = Text("niet gewaardeerd", "not valued")
_OLD, _NEW = Text("oude", "old"), Text("nieuwe", "new")
REORDERED = Text(
    "Een wijziging die niet vóór een latere door te voeren is (bijvoorbeeld een prijspeil vóór "
    "het indexcijfer dat het nodig heeft), is erna doorgevoerd: zie de kolom Stap.",
    "A change that cannot be made before a later one (say a price year before the index "
    "point it needs) was made after it: see the column Step.")


def price_years(old: int | None, new: int | None) -> Text:
    return Text(
        f"Het prijspeil verschilt: {_year(old, 'nl')} in de oude versie, {_year(new, 'nl')} in "
        "de nieuwe. Referentieprijzen zijn naar het eigen prijspeil geïndexeerd (dat deel van "
        "het verschil staat bij het prijspeil); bedragen die als getal zijn ingetypt niet.",
        f"The price years differ: {_year(old, 'en')} in the old version, {_year(new, 'en')} in "
        "the new one. Reference prices are indexed to each version's price year (that part of "
        "the difference is shown at the price year); amounts typed as numbers are not.")


def unused_prices(n: int) -> Text:
    return Text(
        f"{n} wijziging(en) van referentieprijzen die geen cel gebruikt, niet vermeld: zij "
        "tellen niet mee.",
        f"{n} change(s) of reference prices that no cell uses are not listed: they do not "
        "count.")


def unused_index_points(n: int) -> Text:
    return Text(
        f"{n} wijziging(en) van indexcijfers die geen gebruikte referentieprijs nodig heeft, "
        "niet vermeld: zij tellen niet mee.",
        f"{n} change(s) of price index points that no reference price in use needs are not "
        "listed: they do not count.")


def product(kind: Text | None, *figures: float | None) -> Text:
    """The figures as ``a x b`` in a sentence, after ``kind:`` if given."""
    def said(lang: str) -> str:
        shown = " x ".join(number(x, lang) for x in figures)
        return f"{kind(lang)}: {shown}" if kind is not None else shown

    return Text(said("nl"), said("en"))


def not_valued(kind: Text) -> Text:
    """An outcome row added or removed that is not valued."""
    return Text(f"{kind.nl}; {NOT_VALUED.nl}", f"{kind.en}; {NOT_VALUED.en}")


def ambiguous(sheet: Text, name: str, old: list[int], new: list[int]) -> Text:
    """Rows of one version that share ``name``: the ``old`` and ``new`` row numbers (those of
    a version where only one row has it are left out)."""
    where = [(label, numbers) for label, numbers in ((_OLD, old), (_NEW, new)) if numbers]

    def rows(lang: str) -> str:
        return "; ".join(f"{label(lang)} {', '.join(map(str, numbers))}"
                         for label, numbers in where)

    return Text(
        f"{sheet.nl}: '{name}' staat op meer dan één rij (rijen {rows('nl')}); die rijen zijn "
        "niet aan elkaar gekoppeld maar als verwijderd en toegevoegd vergeleken. Geef elke rij "
        "een eigen omschrijving om ze te koppelen.",
        f"{sheet.en}: '{name}' is on more than one row (rows {rows('en')}); those rows are not "
        "matched but compared as removed and added. Give each row its own description to "
        "match them.")


def not_split(exc: BaseException) -> Text:
    return Text(
        f"Het verschil is niet over de wijzigingen te verdelen: een tussenstand is niet te "
        f"berekenen ({exc}). Alleen het totale verschil staat hier.",
        f"The difference cannot be split over the changes: a model in between cannot be "
        f"computed ({exc}). Only the total difference is shown.")


def not_every_combination(exc: BaseException) -> Text:
    return Text(
        f"Niet elke combinatie van de wijzigingen is te berekenen ({exc}); daarom zijn ze in "
        "een vaste volgorde doorgevoerd.",
        f"Not every combination of the changes can be computed ({exc}); so they were made one "
        "at a time in a fixed order instead.")


def joined(texts: list[Text]) -> Text:
    return Text(" ".join(t.nl for t in texts), " ".join(t.en for t in texts))


_COMMON = Text(
    "Elke tussenstand (de oude versie met een deel van de wijzigingen) is met dezelfde "
    "rekenkern berekend als de resultaten. De effecten tellen precies op tot het totale "
    "verschil, ook per belanghebbende (verschil in netto waarde: waarde min inbreng).",
    "Every model in between (the old version with some of the changes made) is computed by "
    "the same engine as the results. The effects add up exactly to the total difference, "
    "also per stakeholder (the change in net value: value minus inputs).")


def method(name: str, n: int, computations: int, shapley_max: int) -> Text:
    """How the change was split over ``n`` changes: ``name`` is shapley, sequence, none or
    failed; ``shapley_max`` the most changes split by the Shapley value."""
    if name == "none":
        return Text("Geen wijziging verandert de cijfers.", "No change moves the figures.")
    if name == "failed":
        return Text("De wijzigingen zijn niet over elkaar te verdelen; zie de opmerking.",
                    "The change could not be split over the changes; see the note.")
    if name == "shapley":
        return joined([Text(
            f"Toerekening: de Shapley-waarde. Het effect van een wijziging is het gemiddelde "
            f"van wat zij toevoegt over alle volgordes waarin de {n} wijziging(en) één voor één "
            f"kunnen worden doorgevoerd, exact berekend over alle {computations} combinaties. "
            "Wat wijzigingen samen doen (bijvoorbeeld aantal én proxy van één opbrengst) wordt "
            "gelijk over hen verdeeld.",
            f"Attribution: the Shapley value. A change's effect is the average of what it adds "
            f"over every order in which the {n} change(s) can be made one at a time, computed "
            f"exactly over all {computations} combinations. What changes do together (say the "
            "quantity and the proxy of one outcome) is split equally between them."), _COMMON])
    why = Text(f" Bij {n} wijzigingen (meer dan {shapley_max}) zijn alle volgordes te veel.",
               f" With {n} changes (more than {shapley_max}) every order is too many."
               ) if n > shapley_max else Text("", "")
    return joined([Text(
        f"Toerekening: in een vaste volgorde.{why.nl} De wijzigingen zijn één voor één "
        "doorgevoerd in de volgorde van de kolom Stap (instellingen eerst, dan aannames, "
        "scenario's, referentieprijzen, prijsindex, inbreng en opbrengsten, elk in de volgorde "
        "van de werkmap) en het effect van een wijziging is wat zij bij haar stap toevoegt. Een "
        "andere volgorde verdeelt wat wijzigingen samen doen anders.",
        f"Attribution: in a fixed order.{why.en} The changes are made one at a time in the "
        "order of the column Step (settings first, then assumptions, scenarios, reference "
        "prices, price index, inputs and outcomes, each in the workbook's order), and a "
        "change's effect is what it adds at its step. Another order would split what changes "
        "do together differently."), _COMMON])


def number(value: float | None, lang: str) -> str:
    """A number in a sentence: thousands separated, two decimals unless it is whole."""
    if value is None:
        return "?"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if lang == "nl" else text


def _year(year: int | None, lang: str) -> str:
    return str(year) if year is not None else NONE(lang)
