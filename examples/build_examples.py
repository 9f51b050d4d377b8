"""Build every example workbook in this folder from the readable data below.

    python examples/build_examples.py          # (re)writes examples/*.xlsx

The workbooks follow the template (sheets, headers, notes, colours and dropdowns come from
``sroi_excel.template`` and ``sroi_excel.schema``). Each published analysis is built the way
its report builds its figures: every quantity is a formula over named assumptions (defined
names, so the chain stays live in Excel) and every assumption's source is the report's own
sentence. Where a report's arithmetic is off, the example reproduces the published figure and
says why, in the source and in the note printed on the results sheet.

tests/test_examples.py checks that the committed files equal what this script makes and that
``sroi-excel fill`` reproduces the published figures.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from sroi_excel import __version__, core, reader, schema, template
from sroi_excel.schema import STYLES

HERE = Path(__file__).resolve().parent


@dataclass
class Example:
    """One workbook: its file name, language and the rows of each input sheet."""

    file: str
    lang: str
    readme: list[tuple[str, str]]
    settings: dict
    stakeholders: list[tuple[str, ...]]  # name, description and how it was involved
    assumptions: list[dict]
    inputs: list[dict]
    outcomes: list[dict]
    scenarios: list[dict] = field(default_factory=list)
    # Stakeholder name -> its category: a key of schema.CATEGORIES, or text of its own.
    categories: dict[str, str] = field(default_factory=dict)


def A(name, value, unit, source, low=None, high=None) -> dict:
    """An assumption row."""
    return {"name": name, "value": value, "unit": unit, "source": source, "low": low,
            "high": high}


def Inp(stakeholder, description, kind, amount=None, hours=None, rate=None, year=0,
        recurring=False, source="") -> dict:
    """An input row; kind is money, hours or in_kind."""
    return {"stakeholder": stakeholder, "description": description, "kind": kind,
            "amount": amount, "hours": hours, "rate": rate, "year": year,
            "recurring": recurring, "source": source}


def Out(stakeholder, outcome, indicator, quantity, proxy, proxy_source, deadweight=None,
        attribution=None, dropoff=None, duration=None, recurring=True, evidence=None) -> dict:
    """A monetised outcome row; evidence: the report's own words on its deductions."""
    return {"stakeholder": stakeholder, "outcome": outcome, "indicator": indicator,
            "quantity": quantity, "proxy": proxy, "proxy_source": proxy_source,
            "deadweight": deadweight, "attribution": attribution, "dropoff": dropoff,
            "duration": duration, "first_year": 1, "recurring": recurring, "monetised": True,
            "evidence": evidence}


def Qual(stakeholder, outcome, indicator, note) -> dict:
    """A qualitative outcome: listed on the results, not valued (the note goes in the source)."""
    return {"stakeholder": stakeholder, "outcome": outcome, "indicator": indicator,
            "proxy_source": note, "recurring": False, "monetised": False}


def Scen(scenario, assumption, value, note) -> dict:
    """A scenario row."""
    return {"scenario": scenario, "assumption": assumption, "value": value, "note": note}


# ---------------------------------------------------------------------------------------------
# Blended Care in het sociaal domein (SROI, VitaValley / Vital Innovators, 25 maart 2016)
# ---------------------------------------------------------------------------------------------

BC = "Blended Care SROI (2016), "
# The report's "Impact Claim" paragraph for each stakeholder: why deadweight and attribution are
# what they are. It says nothing of displacement or drop-off (every outcome lasts one year).
BC_CLIENTS = ("§7.1 Impact Claim: 'Economische zelfstandigheid wordt bijgehouden door het CBS. "
              "Het percentage economisch zelfstandigen is de afgelopen jaren gedaald. [...] Wel "
              "zijn er andere initiatieven te vinden die ook gericht zijn op ondersteuning, de "
              "impact claim bedraag daarom 20% (Deadweight 50%- Attributie 60%).'")
BC_WELFARE = ("§7.2 Impact Claim: 'Van zowel de reiskosten als de no-show percentages is de "
              "meetdata van de afgelopen jaren beschikbaar. [...] Er zijn geen andere initiatieven "
              "gesignaleerd die dezelfde effecten beogen. Wel zien we eHealth initiatieven [...] "
              "Daarom stellen we een impact claim van 25% (Deadweight 50% - Attributie 50%).'")
BC_MENTAL = ("§7.3 Impact Claim: 'Binnen de GGZ wordt op dit moment ook gezocht over hoe de "
             "trajecten efficiënter in te delen. [...] We stellen de impact claim daarom op 8% "
             "(Deadweight 60%- Attributie 80%).'")
BC_INSURERS = ("§7.7 Impact Claim: 'Er zijn talloze initiatieven en systeemveranderingen gericht "
               "op het vermijden van consulten in de formele zorg. [...] We houden de impact claim "
               "beperkt op 12% (60% deadweight – 70% attributie).'")
BC_EMPLOYERS = ("§7.8 Impact claim: 'De afgelopen jaren is er een daling te zien in het "
                "werkverzuim. Ook zijn er initiatieven die zich richten op het verbeteren van de "
                "mentale gezondheid van werknemers. We houden daarom ook hier de impact claim "
                "beperkt, op 12% (Deadweight 60%- Attributie 70%).'")


BLENDED_CARE = Example(
    file="blended-care.xlsx",
    lang="nl",
    readme=[
        ("title", "Voorbeeld: SROI Blended Care in het sociaal domein"),
        ("text", ""),
        ("wrap", "Naar: SROI-analyse Blended Care in het sociaal domein, Coöperatie I-Kracht, "
                 "VitaValley en Vital Innovators, Gouda, 25 maart 2016. Een modelgemeente van "
                 "150.000 inwoners, 1.300 begeleidingstrajecten per jaar, 5 jaar (2016-2020)."),
        ("wrap", "Elke belanghebbende uit het rapport staat erin, ook die alleen kwalitatieve "
                 "uitkomsten hebben of geen inbreng leveren. Elk aantal is een formule over "
                 "benoemde aannames (tabblad Aannames, met de zin uit het rapport als bron)."),
        ("wrap", "Gepubliceerd: waarde per jaar na impact claim € 48.045, ratio '2,2'. Deze "
                 "werkmap verdisconteert opbrengsten en inbreng met 2,25% en komt op 2,20; "
                 "zie de toelichting op het tabblad Instellingen."),
        ("text", ""),
        ("label", "Probeer"),
        ("wrap", "sroi-excel fill blended-care.xlsx -o blended-care-ingevuld.xlsx"),
    ],
    settings={
        "name": "Blended Care in het sociaal domein (SROI 2016)",
        "organisation": "Coöperatie I-Kracht, VitaValley, Vital Innovators",
        "analysis_type": "forecast", "first_year": 2016, "years": 5, "discount_rate": 0.0225,
        "discount_rate_inputs": None, "discount_inputs": True, "beyond_horizon": False,
        "price_year": None, "currency": "EUR",
        "note": (
            "Conventie: opbrengsten én inbreng verdisconteerd met 2,25% (MKBA-richtlijn); "
            "inbreng bij de start (jaar 0) niet. Zo geeft deze werkmap 2,20, het gepubliceerde "
            "'2,2'. Het rapport noemt geen discontovoet ('gemiddeld over vijf jaar'); zonder "
            "verdisconteren is de ratio 5 x 48.045,38 / 105.150 = 2,28, ook '2,2' als je "
            "afkapt. De proxy voor een huisartsconsult is € 13,06 zoals het rapport rekent "
            "(€ 83.689); het gemiddelde van € 9,07 en € 18,13 is eigenlijk € 13,60. Het "
            "implementatietraject is 658 uur zoals in het rapport (80% x 822 = 657,6, "
            "afgerond)."),
        "counterfactual": (
            "Regulier maatschappelijk welzijnswerk zonder Blended Care. §3: 'het verschil tussen "
            "de uitgangssituatie (regulier maatschappelijk welzijnswerk zoals dat de afgelopen "
            "jaren binnen de gemeente is geweest) versus de voorgestelde situatie'; §7: 'de "
            "extra inbreng en uitkomsten ten opzichte van de traditionele situatie zonder "
            "Blended Care'."),
    },
    stakeholders=[
        ("Cliënten", "Burgers met een begeleidingstraject bij de welzijnsorganisatie (§7.1)",
         "geen: het rapport noemt geen gesprek of enquête met cliënten"),
        ("Welzijnsorganisatie", "Organisatie voor maatschappelijk welzijn die Blended Care "
                                "invoert en betaalt (§7.2)",
         "workshop, interview (§7: 'meerdere workshops [...] met stakeholders'; §7.2: aanname "
         "'getoetst met een verantwoordelijke voor registratie & interne verantwoording, een "
         "manager en teamleden')"),
        ("GGZ-instelling", "Geestelijke gezondheidszorg waarnaar cliënten doorverwezen worden "
                           "(§7.3)",
         "workshop (§1: tot stand gekomen in samenwerking met GGzE; §7: workshops)"),
        ("Gemeente", "Opdrachtgever; zet samenwerkingsverbanden op (§7.4)",
         "workshop (§1: in samenwerking met de gemeenten Veldhoven en Zoetermeer; §7: "
         "workshops)"),
        ("Huisartsen", "Verwijzen naar Blended Care (§7.5); alleen kwalitatieve uitkomsten",
         "interview (§7.5: 'de bevraagde huisartsen')"),
        ("Onderwijsinstellingen", "Plaatsen medewerkers van welzijnsorganisaties (§7.6); "
                                  "alleen kwalitatieve uitkomsten",
         "geen: het rapport noemt geen contact"),
        ("Zorgverzekeraars", "Betalen huisartsconsulten en GGZ-trajecten (§7.7); geen inbreng",
         "workshop (§1: in samenwerking met VGZ; §7: workshops)"),
        ("Werkgevers", "Werkgevers van cliënten met financiële problemen (§7.8); geen inbreng",
         "literatuur (§7.8: 'Volgens het Nibud heeft 80% van de bedrijven werknemers met "
         "financiële problemen')"),
        ("Woningcorporaties", "Kunnen naar Blended Care verwijzen (§7.9); alleen kwalitatieve "
                              "uitkomsten", "geen: het rapport noemt geen contact"),
    ],
    assumptions=[
        A("Trajecten", 1300, "trajecten per jaar",
          BC + "§7: 'Binnen onze modaal gemeente worden er jaarlijks 1300 "
          "begeleidingstrajecten verleent door de welzijnsorganisatie.'"),
        A("Extra_bereik", 0.10, "%",
          BC + "§5: 'Deze drie uitgangspunten zullen naar verwachting leiden tot een groter "
          "bereik van minimaal 10%.'"),
        A("Financiele_vraag", 0.60, "%",
          BC + "§7.1: 'Binnen de huidige 1300 jaarlijks verleende trajecten, kent 60% een "
          "financiële vraag of probleem.'"),
        A("Succes_schuldhulp", 0.20, "%",
          BC + "§7.1: 'Naar schatting kan door het vervroegd bereiken (10% vergroot bereik) van "
          "deze cliënten met behulp van Blended Care in 20% van deze gevallen verdere schade "
          "van gemiddeld €200 voorkomen worden.'"),
        A("Schade_voorkomen", 200, "euro per geval", BC + "§7.1, zelfde zin: 'verdere schade "
          "van gemiddeld €200'."),
        A("Stijging_financieel", 0.048, "%",
          BC + "§7.1: 'In totaal laten de via Blended Care begeleide cliënten een gemiddelde "
          "stijging zien van 4,8% in dit gebied.' (leefgebied financieel van de "
          "zelfredzaamheidmatrix)"),
        A("Sociaal_minimum_week", 303.80, "euro per persoon per week",
          BC + "§7.1: 'In 2015 stelt het UWV als gemiddeld sociaal minimum circa €303,80 per "
          "persoon per week, dat is €15.797,60 per jaar.'"),
        A("Uurtarief", 75, "euro per uur",
          BC + "§7.2: '660 uur door één medewerker met tarief €75.'; ook voor reistijd, "
          "no-show en de gemeentelijke ambtenaar (€75)."),
        A("Reductie_reizen", 0.25, "%",
          BC + "§7.2: 'Naar schatting is dit 25% van het totaal.' en 'Ook hier gaan we uit van "
          "een kwart reductie.'"),
        A("Reiskosten", 3065, "euro per jaar",
          BC + "§7.2: 'De gemiddelde jaarlijkse reiskosten zijn €3065.'"),
        A("Reisuren", 2000, "uur per jaar",
          BC + "§7.2: 'Naar schatting is het totaal aantal jaarlijkse uren besteed aan reizen "
          "circa 2000.'"),
        A("No_show", 570, "gemiste consulten per jaar",
          BC + "§7.2: 'De no-show is de afgelopen jaren nauwkeurig geregistreerd en is redelijk "
          "constant met gemiddeld 570 gemiste consulten per jaar.'"),
        A("Duur_consult", 0.5, "uur",
          BC + "§7.2: '570 consulten * 30 minuten / €75 per uur = €21.375,-.' (het rapport "
          "schrijft '/' maar vermenigvuldigt: 570 x 0,5 uur x € 75)"),
        A("Doorverwijzing_GGZ", 0.04, "%",
          BC + "§7.3: 'We houden er rekening mee dat er bij de intake gemiddeld tenminste één "
          "uur á €100 komt te vervallen bij de 4% van de Blended Care cliënten die "
          "doorverwezen worden naar de GGZ.'"),
        A("Kosten_intake", 100, "euro per uur", BC + "§7.3, zelfde zin: 'één uur á €100'."),
        A("Verschuiving_consulten", 0.02, "%",
          BC + "§7.7: 'We gaan daarom uit van een minimaal scenario waarbij 2% van deze "
          "consulten verschuift naar Blended Care.'"),
        A("FTE_huisartsen", 60, "fte",
          BC + "§7.7: 'In de voorbeeld gemeente zijn 60 FTE huisartsen actief.'"),
        A("Consulten_per_FTE", 8900, "consulten per fte per jaar",
          BC + "§7.7: 'Per FTE huisarts vinden er jaarlijks gemiddeld 8900 consulten plaats.'"),
        A("Psychosociaal", 0.60, "%",
          BC + "§7.7: '60% van de consulten van huisartsen heeft een psychosociale, "
          "psychosomatische of psychische reden.'"),
        A("Tarief_consult", 13.06, "euro per consult",
          BC + "§7.7: 'Daarom hebben we als kostprijs het gemiddelde genomen van de NZa "
          "tarieven van een regulier kort consult (€9,07) en een regulier lang consult "
          "(€18,13). Gemiddeld €13,06.' Het gemiddelde van 9,07 en 18,13 is 13,60; het "
          "rapport rekent met 13,06 (€ 83.689) en dat nemen we over."),
        A("GGZ_besparingen", 2, "trajecten per jaar",
          BC + "§7.7: 'We houden hierbij rekening met jaarlijks twee besparingen van of binnen "
          "een GGZ traject.'"),
        A("Besparing_GGZ", 3000, "euro per traject",
          BC + "§7.7: '... hebben daarom in gezamenlijkheid een gemiddelde besparing van €3000 "
          "gesteld.'"),
        A("Relevant_werkgevers", 0.50, "%",
          BC + "§7.8: 'We schatten in dat dit voor de helft van de cliënten relevant is, binnen "
          "die groep verwachten we een reductie in verzuim van 5%.'"),
        A("Verzuimreductie", 0.05, "%", BC + "§7.8, zelfde zin: 'een reductie in verzuim van "
          "5%'."),
        A("Verzuim", 0.04, "%", BC + "§7.8: 'Het gemiddelde verzuim is 4%.'"),
        A("Loonkosten", 55380, "euro per werknemer per jaar",
          BC + "§7.8: 'De kosten voor een werkgever voor een modaal werknemers zijn jaarlijks "
          "€55.380,-.'"),
        A("Uren_eerste_implementatie", 660, "uur",
          BC + "§7.2: '660 uur door één medewerker met tarief €75.'"),
        A("Medewerkers", 9, "medewerkers", BC + "§7.2: '18 uur door 9 medewerkers met tarief "
          "€75.'"),
        A("Uren_per_medewerker", 18, "uur", BC + "§7.2, zelfde regel: '18 uur door 9 "
          "medewerkers'."),
        A("Efficientie", 0.80, "%",
          BC + "§7.2: 'We gaan er van uit dat de implementaties in de komende jaren tenminste "
          "20% efficiënter zullen verlopen dan deze. Hiermee komt het totaal op (80% * (660 + "
          "18*9)) 658 uur.' (80% x 822 = 657,6; het rapport rondt af op 658)"),
        A("ICT_abonnement", 9600, "euro per jaar",
          BC + "§7.2: 'Voor een organisatie voor maatschappelijk welzijn bedraagt de "
          "abonnementskosten binnen een gemeente van 150.000 inwoners jaarlijks €9.600,-.'"),
        A("Weken_gemeente", 26, "weken",
          BC + "§7.4: 'Het opzetten van goede samenwerkingsverbanden kosten naar schatting "
          "gedurende een half jaar één dagdeel per week van een gemeentelijk ambtenaar.' "
          "'26 weken * 4 uur * €75 = €7.800'"),
        A("Uren_per_week_gemeente", 4, "uur per week", BC + "§7.4: 'één dagdeel per week' (4 "
          "uur)."),
        A("DW_clienten", 0.50, "%", BC + "§7.1: 'de impact claim bedraag daarom 20% "
          "(Deadweight 50%- Attributie 60%).'"),
        A("Attr_clienten", 0.60, "%", BC + "§7.1, zelfde zin."),
        A("DW_welzijn", 0.50, "%", BC + "§7.2: 'Daarom stellen we een impact claim van 25% "
          "(Deadweight 50% - Attributie 50%).'"),
        A("Attr_welzijn", 0.50, "%", BC + "§7.2, zelfde zin."),
        A("DW_GGZ", 0.60, "%", BC + "§7.3: 'We stellen de impact claim daarom op 8% "
          "(Deadweight 60%- Attributie 80%).'"),
        A("Attr_GGZ", 0.80, "%", BC + "§7.3, zelfde zin."),
        A("DW_verzekeraars", 0.60, "%", BC + "§7.7: 'We houden de impact claim beperkt op 12% "
          "(60% deadweight – 70% attributie).'"),
        A("Attr_verzekeraars", 0.70, "%", BC + "§7.7, zelfde zin."),
        A("DW_werkgevers", 0.60, "%", BC + "§7.8: 'We houden daarom ook hier de impact claim "
          "beperkt, op 12% (Deadweight 60%- Attributie 70%).'"),
        A("Attr_werkgevers", 0.70, "%", BC + "§7.8, zelfde zin."),
    ],
    inputs=[
        Inp("Cliënten", "Geen extra tijd", "money", amount=0, year=0,
            source="§7.1: 'Het werken met Blended Care kost de cliënt dus geen extra tijd ten "
                   "opzichte van het reguliere proces.'"),
        Inp("Welzijnsorganisatie", "Implementatie (communicatie, herinrichting, scholing)",
            "hours", hours="=ROUND(Efficientie*(Uren_eerste_implementatie+Medewerkers"
                           "*Uren_per_medewerker),0)",
            rate="=Uurtarief", year=0,
            source="§7.2: '658 uur * €75 = €49.350,-' (eenmalig, bij de start)"),
        Inp("Welzijnsorganisatie", "ICT-abonnement Blended Care tool", "money",
            amount="=ICT_abonnement", year=1, recurring=True,
            source="§7.2: 'jaarlijks €9.600,-' (elk jaar van de vijf)"),
        Inp("GGZ-instelling", "Digitale zelfhulptools (al ontwikkeld)", "money", amount=0,
            source="§7.3: 'Deze middelen zijn echter al ontwikkeld voor de eigen cliënten en het "
                   "gaat hierbij dus niet om een extra inspanning.'"),
        Inp("Gemeente", "Opzetten samenwerkingsverbanden", "hours",
            hours="=Weken_gemeente*Uren_per_week_gemeente", rate="=Uurtarief", year=0,
            source="§7.4: '26 weken * 4 uur * €75 = €7.800' (eenmalig)"),
        Inp("Huisartsen", "Verkennen Blended Care", "money", amount=0,
            source="§7.5: 'Dit vormt geen extra inspanning ten opzichte van de reguliere "
                   "verkenningen die een huisarts hiervoor doet.'"),
        Inp("Onderwijsinstellingen", "Geen andere investeringen", "money", amount=0,
            source="§7.6: '... en moeten dus geen andere investeringen nemen.'"),
        Inp("Zorgverzekeraars", "Geen inbreng", "money", amount=0,
            source="§7.7: 'De zorgverzekeraars leveren geen inbreng voor de verlening van "
                   "Blended Care.'"),
        Inp("Werkgevers", "Geen extra inspanning", "money", amount=0,
            source="§7.8: 'Werkgevers leveren geen extra inspanning voor de verlening van "
                   "Blended Care.'"),
        Inp("Woningcorporaties", "Verwijzen naar Blended Care", "money", amount=0,
            source="§7.9: 'Dit zal echter geen extra inspanning vragen.'"),
    ],
    outcomes=[
        Out("Cliënten", "Minder schade: betalingsregelingen en schuldhulpverlening",
            "Cliënten bij wie verdere financiële schade is voorkomen",
            "=Trajecten*Extra_bereik*Financiele_vraag*Succes_schuldhulp", "=Schade_voorkomen",
            "§7.1: '1.300 trajecten * 10% vergroot bereik * 60% financiële vraag * 20% "
            "succesvolle interventie * €200 = €3.120 sociale waarde per jaar.'",
            "=DW_clienten", "=Attr_clienten", evidence=BC_CLIENTS),
        Out("Cliënten", "Hogere arbeidsparticipatie en financiële zelfredzaamheid",
            "Stijging leefgebied financieel (zelfredzaamheidmatrix) x sociaal minimum",
            "=Trajecten*Extra_bereik*Financiele_vraag*Stijging_financieel",
            "=Sociaal_minimum_week*52",
            "§7.1: UWV sociaal minimum 2015, € 303,80 per week = € 15.797,60 per jaar; "
            "'1.300 trajecten * 10% vergroot bereik * 60% financiële vraag * 4,8% stijging * "
            "€15.797,60 = €59.146,21 sociale waarde per jaar.'",
            "=DW_clienten", "=Attr_clienten", evidence=BC_CLIENTS),
        Qual("Cliënten", "Hoger psychosociaal welbevinden",
             "Stijging van 2,7% op de totale zelfredzaamheidsmatrix",
             "§7.1: 'Vanwege de zachtheid in deze waarden zijn hier verder geen schattingen over "
             "gedaan en is deze toename in welbevinden verder niet gemonetariseerd.'"),
        Qual("Welzijnsorganisatie", "Groter bereik met dezelfde middelen",
             "Minimaal 10% meer cliënten",
             "§7.2: 'Echter leidt dit voor de welzijnsorganisatie niet direct tot extra "
             "inkomsten, wel komt dit effect tot uiting door 10% vergroting van andere "
             "effecten.'"),
        Out("Welzijnsorganisatie", "Minder reiskosten", "Aandeel van de jaarlijkse reiskosten",
            "=Reductie_reizen", "=Reiskosten",
            "§7.2: '25% * €3.065 = €766,25 per jaar.'", "=DW_welzijn", "=Attr_welzijn",
            evidence=BC_WELFARE),
        Out("Welzijnsorganisatie", "Minder reistijd", "Uren reistijd omgezet in productieve tijd",
            "=Reductie_reizen*Reisuren", "=Uurtarief",
            "§7.2: '25% * 2.000 uur * €75 = €37.500,- per jaar.'", "=DW_welzijn",
            "=Attr_welzijn", evidence=BC_WELFARE),
        Out("Welzijnsorganisatie", "Hogere productiviteit bij no-show",
            "Uren van gemiste consulten die productief worden", "=No_show*Duur_consult",
            "=Uurtarief", "§7.2: '570 consulten * 30 minuten / €75 per uur = €21.375,-.'",
            "=DW_welzijn", "=Attr_welzijn",
            evidence=BC_WELFARE),
        Out("GGZ-instelling", "Efficiënter verloop traject: snellere intake",
            "Doorverwezen cliënten bij wie een intake-uur vervalt",
            "=Trajecten*Doorverwijzing_GGZ", "=Kosten_intake",
            "§7.3: '1.300 cliënten * 4% * €100,- = €5200,-'", "=DW_GGZ", "=Attr_GGZ",
            evidence=BC_MENTAL),
        Qual("Gemeente", "Betere leefbaarheid, minder jeugdzorg en Wmo",
             "Alleen kwalitatief",
             "§7.4: 'Uiteindelijk hopen we deze terug te zien in een verbeterde leefbaarheid van "
             "de gemeente, minder inzet van jeugdzorg en een vermindering van de aanspraak op "
             "Wmo.'"),
        Qual("Huisartsen", "Waardering, anoniem online vragen stellen", "Alleen kwalitatief",
             "§7.5: 'Voor de huisartsen zien we geen concrete kwantificeerbare uitkomsten.'"),
        Qual("Onderwijsinstellingen", "Minder overlast, betere studieresultaten, minder passend "
             "onderwijs", "Alleen kwalitatief",
             "§7.6: 'Gedegen begeleiding van de leerlingen heeft voor de onderwijsinstellingen "
             "meerdere kwalitatieve gevolgen.'"),
        Out("Zorgverzekeraars", "Minder psychosociale huisartsconsulten",
            "Consulten die verschuiven naar Blended Care",
            "=Verschuiving_consulten*FTE_huisartsen*Consulten_per_FTE*Psychosociaal",
            "=Tarief_consult",
            "§7.7: '2% * 60 FTE huisartsen * 8900 consulten * 60% psychosociaal/psychisch/"
            "psychosomatisch * €13,06 per consult = €83.689,-' (NZa-tarieven)",
            "=DW_verzekeraars", "=Attr_verzekeraars",
            evidence=BC_INSURERS),
        Out("Zorgverzekeraars", "Minder GGZ-trajecten", "Bespaarde (lichtere) GGZ-trajecten",
            "=GGZ_besparingen", "=Besparing_GGZ",
            "§7.7: 'Verwachte besparing bij 2 trajecten * €3.000,- per besparing = €6.000,- "
            "per jaar.'", "=DW_verzekeraars", "=Attr_verzekeraars",
            evidence=BC_INSURERS),
        Out("Werkgevers", "Hogere arbeidsproductiviteit (minder verzuim)",
            "Werknemers in een traject voor wie het relevant is (1.430 / 2)",
            "=Trajecten*(1+Extra_bereik)*Relevant_werkgevers",
            "=Loonkosten*Verzuim*Verzuimreductie",
            "§7.8: '1.430 trajecten / 2 * €55.380,- * 4% * 5% = € 79.193,- per jaar.'",
            "=DW_werkgevers", "=Attr_werkgevers",
            evidence=BC_EMPLOYERS),
        Qual("Woningcorporaties", "Service en klantwaardering", "Alleen kwalitatief",
             "§7.9: '... maar brengt verder geen significante kwantitatieve opbrengsten mee.'"),
    ],
    # The welfare organisation, the mental-health institution and the GPs all provide care;
    # schools are not a kind on the list, so they have a category of their own.
    categories={"Cliënten": "participant", "Welzijnsorganisatie": "care_provider",
                "GGZ-instelling": "care_provider", "Gemeente": "municipality",
                "Huisartsen": "care_provider", "Onderwijsinstellingen": "Onderwijs",
                "Zorgverzekeraars": "health_insurer", "Werkgevers": "employer",
                "Woningcorporaties": "housing_corporation"},
)


# ---------------------------------------------------------------------------------------------
# De Bilt: maatschappelijke business case bewezen preventie (Nautus, 8 mei 2019)
# One workbook per project; the municipality and the health insurer are separate stakeholders.
# ---------------------------------------------------------------------------------------------

DB = "mBC preventie De Bilt (Nautus, 2019), "
GEMEENTE = "Gemeente De Bilt"
VERZEKERAARS = "Zorgverzekeraars"
DEBILT_STAKEHOLDERS = [
    (GEMEENTE, "Betaalt de investering (Wmo- en jeugdbudget) en ontvangt de besparingen op "
               "gemeentelijke budgetten",
     "workshop (§2.2: projectteam met de beleidsadviseurs Wmo en jeugd/onderwijs en de "
     "controller sociaal domein; 'Het projectteam is drie keer bijeengekomen')"),
    (VERZEKERAARS, "Huisartsenzorg valt onder de Zorgverzekeringswet (Zvw), niet onder het "
                   "gemeentelijk budget", "geen: niet in het projectteam (§2.2)"),
]
DEBILT_CATEGORIES = {GEMEENTE: "municipality", VERZEKERAARS: "health_insurer"}
# Who said what the effects are (§2.3, steps 3 and 4): the project team, mostly the providers.
DB_CLIENTS_NOT_ASKED = "geen: alleen de uitvoerende organisatie zat in het projectteam (§2.2)"
# Step 4 of the method (§2.3) is the report's only word on attribution; it shows no
# percentage, so the shares of the effect are taken to be what is attributed. Deadweight and
# displacement are not discussed; every outcome is counted for one year (§1.3).
DB_EVIDENCE = ("Attributie: §2.3 stap 4: 'Daarnaast hebben wij een inschatting gemaakt welk "
               "deel van het effect naar verwachting kan worden toegeschreven aan de "
               "interventie.' Duur: §1.3: 'De meettermijn van deze mBC is 1 jaar'. ")
DEBILT_SETTINGS = {
    "organisation": "Gemeente De Bilt; Nautus (8 mei 2019)", "analysis_type": "forecast",
    "first_year": 2019, "years": 1, "discount_rate": 0.0, "discount_rate_inputs": None,
    "discount_inputs": True, "beyond_horizon": False, "price_year": 2019, "currency": "EUR",
}
DEBILT_NET = ("De 'netto maatschappelijke opbrengst per geïnvesteerde euro' van het rapport is "
              "die van de gemeente: (besparing gemeente - investering) / investering, kolom "
              "Netto ratio op het tabblad Per belanghebbende. ")
DEBILT_COMMON = ("Meettermijn 1 jaar, geen deadweight of attributie en geen verdiscontering, "
                 "zoals in het rapport.")


def debilt_readme(title: str, chapter: str, extra: str) -> list[tuple[str, str]]:
    return [
        ("title", f"Voorbeeld: {title}"),
        ("text", ""),
        ("wrap", "Naar: Maatschappelijke business case bewezen preventie, in opdracht van de "
                 f"gemeente De Bilt, Nautus, 8 mei 2019, {chapter}."),
        ("wrap", "De gemeente en de zorgverzekeraars zijn aparte belanghebbenden: "
                 "huisartsenzorg valt onder de Zvw. Minimum en maximum zijn scenario's van deze "
                 "werkmap (tabblad Scenario's), geen kopieën."),
        ("wrap", extra),
        ("text", ""),
        ("label", "Probeer"),
        ("wrap", "sroi-excel portfolio debilt-*.xlsx --scenario minimum --scenario maximum "
                 "-o overzicht.xlsx"),
    ]


OL_EVIDENCE = DB_EVIDENCE + ("§4.2: de aandelen zijn ouders die 'als gevolg van deelname via "
                             "Ouders Lokaal minder vaak een beroep' doen op huisarts, CJG of "
                             "jeugdhulp.")
OUDERS_LOKAAL = Example(
    file="debilt-ouders-lokaal.xlsx",
    lang="nl",
    readme=debilt_readme(
        "Ouders Lokaal, uitbreiding (De Bilt)", "hoofdstuk 4",
        "Gepubliceerd (tabel 4): bruto besparing gemeente € 98.072, investering € 27.126, "
        "netto € 70.946, € 2,62 per euro. Scenario 'huidige situatie' geeft tabel 1-3 "
        "(investering € 31.876, netto € 66.196)."),
    settings={
        **DEBILT_SETTINGS,
        "name": "Ouders Lokaal, uitbreiding (De Bilt 2019)",
        "note": (
            DEBILT_NET + "Tabel 4: bruto € 98.072, investering € 27.126, netto € 70.946, "
            "€ 2,62 per euro. De besparing op de huisarts (€ 12.800) valt bij de "
            "zorgverzekeraars (Zvw); tabel 4 laat haar weg, hier staat ze apart en telt ze "
            "alleen mee in de ratio's van de hele analyse. In tabel 2 en 4 staat jeugdhulp als "
            "€ 40.782, maar 40 x 13 x € 78,60 = € 40.872 en dat bedrag zit in het totaal "
            "€ 98.072. " + DEBILT_COMMON),
        "counterfactual": (
            "De huidige inzet: een coördinator 9 uur per week die ongeveer 160 ouders per jaar "
            "bereikt (§4.2, tabel 1-3). De uitbreiding met 7 uur bereikt volgens het CJG 'twee "
            "keer zoveel ouders'; alleen die extra ouders tellen."),
    },
    stakeholders=[*DEBILT_STAKEHOLDERS,
                  ("Ouders", "Ouders en opvoeders die Ouders Lokaal bereikt",
                   "workshop, via een vertegenwoordiger: het Hoofd Ouders Lokaal zat in het "
                   "projectteam (§2.2)")],
    assumptions=[
        A("Ouders", 160, "ouders per jaar",
          DB + "§4.2: 'Momenteel bereikt Ouders Lokaal in één jaar ongeveer 160 ouders.' en "
          "'Wanneer we uitgaan van een uitbreiding van de taken van de projectcoördinator met 7 "
          "uren is de verwachting van het CJG dat twee keer zoveel ouders bereikt kunnen "
          "worden.' De uitbreiding bereikt dus 160 ouders extra."),
        A("Aandeel_huisarts", 0.25, "%",
          DB + "§4.2: '25% van de ouders (40 personen) doet als gevolg van deelname via Ouders "
          "Lokaal minder vaak een beroep op de huisarts;'"),
        A("Aandeel_CJG", 0.50, "%",
          DB + "§4.2: '50% van de ouders (80 personen) doet als gevolg van deelname via Ouders "
          "Lokaal minder vaak een beroep op het CJG;'"),
        A("Aandeel_jeugdhulp", 0.25, "%",
          DB + "§4.2: '25% van de ouders/kinderen (40 personen) doet als gevolg van deelname "
          "aan Ouders Lokaal minder vaak een beroep op jeugdhulpverlening (individuele "
          "begeleiding).'"),
        A("Contacten_huisarts", 4, "contactmomenten per ouder",
          DB + "tabel 2: 'Huisarts 40 4 € 80 € 12.800'"),
        A("Tarief_huisarts", 80, "euro per contactmoment", DB + "tabel 2: huisarts € 80 per "
          "contactmoment."),
        A("Contacten_CJG", 13, "uren per casus",
          DB + "tabel 4: '80 13 uren € 55 € 57.200'"),
        A("Tarief_CJG", 55, "euro per uur", DB + "tabel 2 en 4: CJG € 55."),
        A("Contacten_jeugdhulp", 13, "uren per casus",
          DB + "tabel 4: '40 13 uren € 78,60 € 40.782'; 40 x 13 x 78,60 = 40.872, het bedrag "
          "dat in het totaal € 98.072 zit (de 40.782 is een verschrijving)."),
        A("Tarief_jeugdhulp", 78.60, "euro per uur", DB + "tabel 2 en 4: jeugdhulp € 78,60."),
        A("Kosten_coordinator", 16626, "euro per jaar",
          DB + "tabel 4: 'Inzet coördinator € 16.626' (uitbreiding met 7 uur per week). "
          "Huidige situatie (9 uur per week): 'Projectcoördinator (9 uur per week) € 21.376' "
          "(tabel 1), zie scenario 'huidige situatie'."),
        A("Overige_kosten", 10500, "euro per jaar",
          DB + "tabel 4: 'Overige kosten € 10.500'; in tabel 1 (huidige situatie) zijn dat "
          "Hoofd Lokaal € 7.000, activiteitenbudget € 2.000, PR & website € 750 en materialen "
          "€ 750."),
    ],
    inputs=[
        Inp(GEMEENTE, "Inzet coördinator Ouders Lokaal (CJG)", "money",
            amount="=Kosten_coordinator", year=1,
            source="Tabel 4 (uitbreiding); tabel 1 voor de huidige situatie"),
        Inp(GEMEENTE, "Overige kosten (Hoofd Lokaal, activiteiten, PR, materialen)", "money",
            amount="=Overige_kosten", year=1, source="Tabel 4: 'Overige kosten € 10.500'"),
    ],
    outcomes=[
        Out(VERZEKERAARS, "Minder beroep op de huisarts", "Contactmomenten huisarts",
            "=Ouders*Aandeel_huisarts*Contacten_huisarts", "=Tarief_huisarts",
            "Tabel 2: 'Huisarts 40 4 € 80 € 12.800'; 'De kosten voor de huisarts worden namelijk "
            "bekostigd uit de Zorgverzekeringswet (Zvw).'", evidence=OL_EVIDENCE),
        Out(GEMEENTE, "Minder beroep op het CJG", "Uren CJG",
            "=Ouders*Aandeel_CJG*Contacten_CJG", "=Tarief_CJG",
            "Tabel 4: '80 13 uren € 55 € 57.200'", evidence=OL_EVIDENCE),
        Out(GEMEENTE, "Minder jeugdhulp (individuele begeleiding)", "Uren jeugdhulp",
            "=Ouders*Aandeel_jeugdhulp*Contacten_jeugdhulp", "=Tarief_jeugdhulp",
            "Tabel 4: '40 13 uren € 78,60'; 40 x 13 x € 78,60 = € 40.872 (gedrukt: € 40.782)",
            evidence=OL_EVIDENCE),
        Qual("Ouders", "Eigen kracht en informeel netwerk rond ouders versterkt",
             "Alleen kwalitatief",
             "§4.1 Effecten cliënten: 'Versterken eigen kracht. Versterken informeel netwerk rond "
             "ouders.' en 'Voorkomen van escalatie van de problemen.'"),
    ],
    scenarios=[
        Scen("huidige situatie", "Kosten_coordinator", 21376,
             "Tabel 1: projectcoördinator 9 uur per week € 21.376; investering € 31.876, netto "
             "€ 66.196 (tabel 3)"),
    ],
    categories={**DEBILT_CATEGORIES, "Ouders": "participant"},
)

MAATJES_EVIDENCE = DB_EVIDENCE + ("§5.2: 'Door het contact met een maatje heeft een "
                                  "aanvrager per jaar' minder zorg nodig (aannames van het "
                                  "projectteam).")
MAATJES = Example(
    file="debilt-maatjesproject.xlsx",
    lang="nl",
    readme=debilt_readme(
        "Maatjesproject MENS met Elkaar, uitbreiding (De Bilt)", "hoofdstuk 5",
        "Gepubliceerd (tabel 5 en 6): per koppeling € 3.086 bruto, € 2.766 voor de gemeente; "
        "15 / 30 extra koppelingen: bruto gemeente € 41.490 / € 82.980, investering € 21.317 "
        "/ € 42.634, netto € 20.173 / € 40.346, € 0,95 per euro."),
    settings={
        **DEBILT_SETTINGS,
        "name": "Maatjesproject MENS met Elkaar, uitbreiding (De Bilt 2019)",
        "note": (
            DEBILT_NET + "Tabel 6: 15 / 30 extra koppelingen (scenario minimum = basiswaarden, "
            "maximum): netto € 20.173 / € 40.346, € 0,95 per euro. Het rapport rondt de "
            "besparing op dagbesteding per koppeling af op € 1.830 (52 x € 35,19 = € 1.829,88) "
            "voordat het met het aantal koppelingen vermenigvuldigt; deze werkmap doet dat ook "
            "(ROUND). De tekst noemt 30 dagdelen dagbesteding, tabel 5 rekent met 52; we volgen "
            "de tabel. De huisarts/POH (€ 320 per koppeling) valt bij de zorgverzekeraars. "
            + DEBILT_COMMON),
        "counterfactual": (
            "De huidige 90 koppelingen per jaar met 54 uur inzet van sociaal werkers (§5.2); "
            "alleen de 15 of 30 extra koppelingen tellen."),
    },
    stakeholders=[*DEBILT_STAKEHOLDERS,
                  ("Deelnemers", "Inwoners met een mager netwerk, psychosociale klachten of "
                                 "dementie die een maatje krijgen", DB_CLIENTS_NOT_ASKED)],
    assumptions=[
        A("Extra_koppelingen", 15, "koppelingen per jaar",
          DB + "§5.2: 'In deze mBC berekenen we de uitbreiding met 15 koppelingen en 30 "
          "koppelingen.'", 15, 30),
        A("Contacten_huisarts", 4, "uur per koppeling",
          DB + "§5.2: 'Door het contact met een maatje heeft een aanvrager per jaar: 4 uur "
          "minder contact met een huisarts of POH-er;'"),
        A("Tarief_huisarts", 80, "euro per contactmoment", DB + "tabel 5: 'Huisarts 4 € 80 "
          "€ 320'"),
        A("Uren_begeleiding", 20, "uur per koppeling",
          DB + "§5.2: '20 uur minder individuele begeleiding nodig;'"),
        A("Tarief_begeleiding", 46.80, "euro per uur", DB + "tabel 5: 'Begeleiding (Wmo) 20 "
          "€ 46,80 € 936'"),
        A("Dagdelen_dagbesteding", 52, "dagdelen per koppeling",
          DB + "tabel 5: 'Dagbesteding (Wmo) 52 € 35,19 € 1.830'. De tekst zegt '30 dagdelen "
          "minder dagbesteding nodig'; de tabel en alle totalen rekenen met 52."),
        A("Tarief_dagbesteding", 35.19, "euro per dagdeel", DB + "tabel 5: € 35,19 per "
          "dagdeel."),
        A("Kosten_huidig", 127900, "euro per jaar",
          DB + "§5.2: 'De huidige investering voor het behalen van 90 koppelingen tussen "
          "maatjes en vragers is 54 uur inzet van sociaal werkers. De kosten hiervan bedragen "
          "€ 127.900 per jaar.'"),
        A("Koppelingen_huidig", 90, "koppelingen per jaar",
          DB + "§5.2: 'Op dit moment maakt MENS De Bilt jaarlijks 90 koppelingen tussen "
          "vrijwilligers en vragers.'"),
        A("Investering_per_15", "=ROUND(Kosten_huidig/Koppelingen_huidig*15,0)",
          "euro per 15 koppelingen",
          DB + "tabel 6: 'Inzet coördinator voor 15 koppelingen € 21.317' en 'voor 30 "
          "koppelingen € 42.634' (het dubbele); € 127.900 / 90 x 15 = € 21.316,67, afgerond."),
    ],
    inputs=[
        Inp(GEMEENTE, "Inzet coördinator/sociaal werkers voor extra koppelingen", "money",
            amount="=Investering_per_15*Extra_koppelingen/15", year=1,
            source="Tabel 6: € 21.317 voor 15, € 42.634 voor 30 koppelingen"),
    ],
    outcomes=[
        Out(VERZEKERAARS, "Minder contact met huisarts of POH", "Extra koppelingen",
            "=Extra_koppelingen", "=Contacten_huisarts*Tarief_huisarts",
            "Tabel 5: 'Huisarts 4 € 80 € 320' per koppeling; Zvw, niet in 'Totaal gemeente'",
            evidence=MAATJES_EVIDENCE),
        Out(GEMEENTE, "Minder individuele begeleiding (Wmo)", "Extra koppelingen",
            "=Extra_koppelingen", "=Uren_begeleiding*Tarief_begeleiding",
            "Tabel 5: 'Begeleiding (Wmo) 20 € 46,80 € 936' per koppeling",
            evidence=MAATJES_EVIDENCE),
        Out(GEMEENTE, "Minder dagbesteding (Wmo)", "Extra koppelingen", "=Extra_koppelingen",
            "=ROUND(Dagdelen_dagbesteding*Tarief_dagbesteding,0)",
            "Tabel 5: 'Dagbesteding (Wmo) 52 € 35,19 € 1.830' per koppeling (afgerond, zoals "
            "het rapport: 15 x € 2.766 = € 41.490)", evidence=MAATJES_EVIDENCE),
        Qual("Deelnemers", "Groter eigen netwerk, meer zelfvertrouwen en energie",
             "Alleen kwalitatief",
             "§5.1 Effecten cliënten: 'Uitbreiden van het eigen netwerk. Groeien in "
             "zelfvertrouwen. Meer energie. Zelfredzaamheid behouden en/of vergroten.'"),
    ],
    scenarios=[
        Scen("minimum", "Extra_koppelingen", 15, "15 extra koppelingen (tabel 6), gelijk aan de "
             "basiswaarde"),
        Scen("maximum", "Extra_koppelingen", 30, "30 extra koppelingen (tabel 6)"),
    ],
    categories={**DEBILT_CATEGORIES, "Deelnemers": "participant"},
)

STERK_EVIDENCE = DB_EVIDENCE + ("§6.2: 'Daarmee heeft dit project volgens MENS De Bilt een "
                                "bijdrage geleverd aan het verminderen van de kosten voor "
                                "dagbesteding onder de Wmo.'")
STERK = Example(
    file="debilt-sterk-door-vrijwilligerswerk.xlsx",
    lang="nl",
    readme=debilt_readme(
        "Sterk door vrijwilligerswerk, uitbreiding (De Bilt)", "hoofdstuk 6",
        "Gepubliceerd (tabel 9): bruto € 82.062 / € 145.404, investering € 56.000, netto "
        "€ 26.062 / € 89.404, € 0,47 / € 1,60 per euro. Scenario's 'huidig minimum' en "
        "'huidig maximum' geven tabel 7 en 8 (25 deelnemers: netto -€ 14.969 / € 16.702)."),
    settings={
        **DEBILT_SETTINGS,
        "name": "Sterk door vrijwilligerswerk, uitbreiding naar 50 deelnemers (De Bilt 2019)",
        "note": (
            DEBILT_NET + "Tabel 9, minimum (basiswaarden: 1 activiteit = ½ dag dagbesteding) / "
            "maximum (1 dag): netto € 26.062 / € 89.404, € 0,47 / € 1,60 per euro. Het rapport "
            "zet de besparing van alle 50 deelnemers af tegen € 56.000, het bedrag dat in "
            "tabel 8 hoort bij 24 uur begeleiding voor 25 deelnemers, terwijl de uitbreiding "
            "'24 + 12 uur per week' noemt. We nemen € 56.000 over om de gepubliceerde cijfers "
            "te reproduceren; naar rato (36/24 x € 56.000 = € 84.000) zou de netto besparing "
            "-€ 1.938 / € 61.404 zijn. Het tarief dagbesteding € 70,38 heet in de tabel 'per "
            "dagdeel' maar geldt per dag (450 eenheden = 900 x ½ dag). " + DEBILT_COMMON),
        "counterfactual": (
            "Dagbesteding onder de Wmo: 'Alle mensen die vrijwilligerswerk hebben verricht zijn "
            "mensen die een indicatie dagbesteding zouden kunnen krijgen' (§6.2). Vergeleken "
            "met het project voor 25 deelnemers in 2018; de uitbreiding gaat naar 50."),
    },
    stakeholders=[
        DEBILT_STAKEHOLDERS[0],
        ("Deelnemers", "Inwoners met beginnende dementie, NAH of psychische kwetsbaarheid",
         DB_CLIENTS_NOT_ASKED),
        ("Mantelzorgers", "Partners en familie van de deelnemers", DB_CLIENTS_NOT_ASKED),
    ],
    assumptions=[
        A("Deelnemers", 50, "personen",
          DB + "§6.2: 'MENS De Bilt schat in dat er efficiencyvoordelen te behalen zijn bij een "
          "uitbreiding van dit project naar 50 personen, een verdubbeling.'", 25, 50),
        A("Deelnemers_2018", 25, "personen",
          DB + "§6.2: 'In 2018 namen 25 mensen uit de doelgroep deel aan dit project.'"),
        A("Activiteiten_2018", 900, "vrijwilligersactiviteiten",
          DB + "§6.2: 'In totaal zijn er 900 vrijwilligersactiviteiten uitgevoerd.'"),
        A("Dagen_per_activiteit", 0.5, "dag dagbesteding per activiteit",
          DB + "§6.2: 'Het minimum scenario gaat ervan uit dat per vrijwilligersactiviteit een "
          "halve dag dagbesteding wordt bespaard. Het maximum scenario stelt dat per "
          "vrijwilligersactiviteiten een hele dag dagbesteding wordt bespaard.'", 0.5, 1),
        A("Tarief_dagbesteding", 70.38, "euro per dag",
          DB + "tabel 7 en 9: 'Dagbesteding 450 € 70,38 € 31.671' (kop 'Tarief per dagdeel', "
          "maar 450 = 900 activiteiten x ½ dag, dus per dag; een dagdeel is € 35,19, tabel 5)"),
        A("Uren_begeleiding_2018", 200, "uur",
          DB + "§6.2: 'Naar schatting 200 uur van de gevoerde gespreksuren zouden in andere "
          "gevallen geïndiceerde uren begeleiding individueel zijn, aldus MENS De Bilt.'"),
        A("Tarief_begeleiding", 46.80, "euro per uur", DB + "tabel 7: 'Begeleiding (Wmo) 200 "
          "€ 46,80 € 9.360'"),
        A("Kosten_projectbegeleiding", 56000, "euro per jaar",
          DB + "§6.2: 'Voor het begeleiden van 25 mensen is 24 uur projectbegeleiding nodig. "
          "De kosten hiervan bedragen € 56.000 per jaar.' Tabel 9: 'Inzet projectbegeleiding "
          "(24 + 12 uur per week) € 56.000'."),
    ],
    inputs=[
        Inp(GEMEENTE, "Inzet projectbegeleiding (MENS De Bilt)", "money",
            amount="=Kosten_projectbegeleiding", year=1,
            source="Tabel 8 en 9: € 56.000 per jaar"),
    ],
    outcomes=[
        Out(GEMEENTE, "Minder dagbesteding (Wmo)", "Dagen dagbesteding",
            "=Activiteiten_2018*Deelnemers/Deelnemers_2018*Dagen_per_activiteit",
            "=Tarief_dagbesteding",
            "Tabel 9: minimum 900 x € 70,38 = € 63.342, maximum 1.800 x € 70,38 = € 126.684",
            evidence=STERK_EVIDENCE),
        Out(GEMEENTE, "Minder individuele begeleiding (Wmo)", "Uren begeleiding",
            "=Uren_begeleiding_2018*Deelnemers/Deelnemers_2018", "=Tarief_begeleiding",
            "Tabel 9: 'Begeleiding (Wmo) 400 € 46,80 € 18.720'", evidence=STERK_EVIDENCE),
        Qual("Deelnemers", "Weer van waarde, onderdeel van de maatschappij",
             "Alleen kwalitatief",
             "§6.2: 'De kandidaat ervaart weer onderdeel te zijn van de maatschappij;'"),
        Qual("Mantelzorgers", "Houden de situatie langer vol", "Alleen kwalitatief",
             "§6.2: 'De mantelzorger houdt de situatie langer vol.'"),
    ],
    scenarios=[
        Scen("minimum", "Dagen_per_activiteit", 0.5, "1 activiteit = ½ dag dagbesteding (tabel "
             "9), gelijk aan de basiswaarde"),
        Scen("maximum", "Dagen_per_activiteit", 1, "1 activiteit = 1 dag dagbesteding (tabel 9)"),
        Scen("huidig minimum", "Deelnemers", 25, "Huidige situatie, 25 deelnemers (tabel 7 en 8)"),
        Scen("huidig minimum", "Dagen_per_activiteit", 0.5, "½ dag per activiteit"),
        Scen("huidig maximum", "Deelnemers", 25, "Huidige situatie, 25 deelnemers (tabel 7 en 8)"),
        Scen("huidig maximum", "Dagen_per_activiteit", 1, "1 dag per activiteit"),
    ],
    categories={GEMEENTE: "municipality", "Deelnemers": "participant",
                "Mantelzorgers": "informal_carer"},
)

SAMEN_EVIDENCE = DB_EVIDENCE + ("§7.2: 'MENS De Bilt schat in dat door de inzet van Samen "
                                "Oplopen de vraag naar hulp op verschillende andere terreinen "
                                "vermindert'.")
SAMEN_OPLOPEN = Example(
    file="debilt-samen-oplopen.xlsx",
    lang="nl",
    readme=debilt_readme(
        "Samen Oplopen (De Bilt)", "hoofdstuk 7",
        "Gepubliceerd (tabel 10 en 11): bruto gemeente € 27.235 / € 130.146, investering "
        "€ 56.000, netto -€ 28.765 / € 74.146. Het maximum rekent met 24 gezinnen onder het "
        "kopje '25 gezinnen'; zie de toelichting."),
    settings={
        **DEBILT_SETTINGS,
        "name": "Samen Oplopen (De Bilt 2019)",
        "note": (
            DEBILT_NET + "Tabel 11, minimum (basiswaarden: zonder multi-probleemsituatie) / "
            "maximum (met): netto -€ 28.765 / € 74.146, -€ 0,51 / € 1,32 per euro. Het "
            "maximum in tabel 10 staat onder '25 gezinnen' maar rekent met 24 (5.760 = 24 x 3 "
            "x € 80; 17.160 = 24 x 13 x € 55; 8.986 = 24 x 8 x € 46,80). Scenario maximum "
            "gebruikt daarom 24 gezinnen, zodat het gepubliceerde cijfer terugkomt; misschien "
            "telt het rapport het multi-probleemgezin apart (24 + 1 = 25), het zegt dat niet. "
            "Met 25 gezinnen zou de gemeente € 131.235 besparen, netto € 75.235. De huisarts/"
            "POH valt bij de zorgverzekeraars. " + DEBILT_COMMON),
        "counterfactual": (
            "Zonder Samen Oplopen: gezinnen doen vaker een beroep op huisarts/POH, CJG en "
            "Sociaal Team (§7.2: 'MENS De Bilt schat in dat door de inzet van Samen Oplopen de "
            "vraag naar hulp op verschillende andere terreinen vermindert')."),
    },
    stakeholders=[*DEBILT_STAKEHOLDERS,
                  ("Gezinnen", "Gezinnen met kinderen onder de 24 jaar die een lastige periode "
                               "doormaken", DB_CLIENTS_NOT_ASKED)],
    assumptions=[
        A("Gezinnen", 25, "gezinnen per jaar",
          DB + "tabel 10: 'Minimum scenario 25 gezinnen (zonder multi-probleemsituatie)'. "
          "§7.2 noemt 30 gezinnen per jaar in de huidige uitvoering; de tabellen rekenen met "
          "25 (minimum) en 24 (maximum, onder het kopje '25 gezinnen').", 24, 30),
        A("Contacten_huisarts", 3, "contactmomenten per gezin",
          DB + "tabel 10: 'Huisarts/PHO 3 € 80 € 6.000'"),
        A("Tarief_huisarts", 80, "euro per contactmoment", DB + "tabel 10: € 80."),
        A("Contacten_CJG", 13, "contactmomenten per gezin",
          DB + "tabel 10: 'CJG 13 € 55 € 17.875'"),
        A("Tarief_CJG", 55, "euro per contactmoment", DB + "tabel 10: € 55."),
        A("Uren_sociaal_team", 8, "uur per gezin",
          DB + "tabel 10: 'Sociaal Team 8 € 46,80 € 9.360'"),
        A("Tarief_sociaal_team", 46.80, "euro per uur", DB + "tabel 10: € 46,80."),
        A("Multiprobleemgezinnen", 0, "gezinnen per jaar",
          DB + "§7.2: 'Ook kan het volgens MENS De Bilt zo zijn dat door de inzet van Samen "
          "Oplopen wordt voorkomen dat een gezin in een multi-probleemsituatie terechtkomt' en "
          "'De doorrekening van de besparing werkt met twee varianten, waarin laatstgenoemde "
          "besparing voor een multi-probleemsituatie wel en niet wordt meegenomen.' Minimum 0, "
          "maximum 1 (tabel 10).", 0, 1),
        A("Kosten_multiprobleem", 104000, "euro per gezin",
          DB + "tabel 10: 'Multiprobleem 1 € 104.000 € 104.000'"),
        A("Kosten_sociaal_werker", 56000, "euro per jaar",
          DB + "§7.2: 'De kosten voor de inzet van de sociaal werker bedragen € 56.000 op "
          "jaarbasis.'"),
    ],
    inputs=[
        Inp(GEMEENTE, "Inzet sociaal werker, 24 uur per week (Wmo-budget)", "money",
            amount="=Kosten_sociaal_werker", year=1,
            source="§7.2: 'Deze inzet komt ten laste van het (Wmo-)budget van de gemeente De "
                   "Bilt.'"),
    ],
    outcomes=[
        Out(VERZEKERAARS, "Minder beroep op huisarts/POH", "Contactmomenten huisarts/POH",
            "=Gezinnen*Contacten_huisarts", "=Tarief_huisarts",
            "Tabel 10: huisarts/POH, niet in 'Totaal gemeente' (Zvw)", evidence=SAMEN_EVIDENCE),
        Out(GEMEENTE, "Minder beroep op het CJG", "Contactmomenten CJG",
            "=Gezinnen*Contacten_CJG", "=Tarief_CJG", "Tabel 10: CJG € 55",
            evidence=SAMEN_EVIDENCE),
        Out(GEMEENTE, "Minder beroep op het Sociaal Team", "Uren Sociaal Team",
            "=Gezinnen*Uren_sociaal_team", "=Tarief_sociaal_team",
            "Tabel 10: Sociaal Team € 46,80", evidence=SAMEN_EVIDENCE),
        Out(GEMEENTE, "Multi-probleemsituatie voorkomen", "Gezinnen",
            "=Multiprobleemgezinnen", "=Kosten_multiprobleem",
            "Tabel 10: 'Multiprobleem 1 € 104.000' (alleen in het maximum)",
            evidence=SAMEN_EVIDENCE),
        Qual("Gezinnen", "Gezinnen ontlast, kinderen groeien stabieler op", "Alleen kwalitatief",
             "§7.1 Effecten cliënten: 'Gezinnen worden ontlast, hierdoor escaleren problemen "
             "minder snel. Kinderen kunnen stabielere opgroeien.'"),
    ],
    scenarios=[
        Scen("minimum", "Multiprobleemgezinnen", 0, "Zonder multi-probleemsituatie (tabel 10), "
             "gelijk aan de basiswaarden"),
        Scen("maximum", "Gezinnen", 24, "Tabel 10 rekent met 24 gezinnen onder het kopje '25 "
             "gezinnen'; overgenomen om het gepubliceerde cijfer te reproduceren"),
        Scen("maximum", "Multiprobleemgezinnen", 1, "Met multi-probleemsituatie (tabel 10)"),
    ],
    categories={**DEBILT_CATEGORIES, "Gezinnen": "participant"},
)


# ---------------------------------------------------------------------------------------------
# A small fictional English analysis, worked out by hand in tests/test_examples.py
# ---------------------------------------------------------------------------------------------

MENTORING = Example(
    file="youth-mentoring.xlsx",
    lang="en",
    readme=[
        ("title", "Example: Riverside youth mentoring (fictional)"),
        ("text", ""),
        ("wrap", "A small, invented analysis for the README walkthrough: three stakeholders, "
                 "three valued outcomes and one qualitative one, over three years at the UK "
                 "Green Book rate of 3.5%. Getting a job lasts three years with 40% drop-off "
                 "a year; the other outcomes recur every year."),
        ("wrap", "Every figure is worked out by hand in tests/test_examples.py."),
        ("text", ""),
        ("label", "Try"),
        ("wrap", "sroi-excel fill youth-mentoring.xlsx -o youth-mentoring-filled.xlsx"),
        ("wrap", "sroi-excel fill youth-mentoring.xlsx --scenario low -o low.xlsx"),
    ],
    settings={
        "name": "Riverside youth mentoring (fictional example)",
        "organisation": "Riverside Youth Trust (fictional)", "analysis_type": "forecast",
        "first_year": 2025, "years": 3, "discount_rate": 0.035, "discount_rate_inputs": None,
        "discount_inputs": True, "beyond_horizon": False, "price_year": 2025,
        "currency": "GBP",
        "note": "A fictional example: every number is invented to show how the tool works.",
    },
    stakeholders=[
        ("Young people", "Young people aged 16-24 not in work, mentored for a year"),
        ("Council", "Funds the programme; saves on school exclusions"),
        ("Volunteers", "Local volunteers who mentor"),
    ],
    assumptions=[
        A("Mentees", 40, "young people", "Programme plan (fictional)", 30, 50),
        A("Into_work", 0.25, "%", "Share finding work, from a similar programme (fictional)",
          0.15, 0.35),
        A("Earnings_gain", 6000, "GBP a year", "Extra income from work (fictional)"),
        A("Exclusions_avoided", 3, "exclusions a year", "School records (fictional)"),
        A("Exclusion_cost", 4000, "GBP per exclusion", "Council unit cost (fictional)"),
        A("Mentors", 20, "volunteers", "Programme plan (fictional)"),
        A("Mentor_hours", 40, "hours a year each", "Programme plan (fictional)"),
        A("Volunteer_rate", 12, "GBP an hour", "Value of volunteer time (fictional)"),
        A("Wellbeing_value", 300, "GBP a year", "Wellbeing value of volunteering (fictional)"),
    ],
    inputs=[
        Inp("Council", "Programme grant", "money", amount=30000, year=0,
            source="Grant agreement (fictional)"),
        Inp("Volunteers", "Mentoring time", "in_kind",
            amount="=Mentors*Mentor_hours*Volunteer_rate", year=1, recurring=True,
            source="20 mentors x 40 hours x GBP 12"),
    ],
    outcomes=[
        Out("Young people", "Into work", "Young people who find work", "=Mentees*Into_work",
            "=Earnings_gain", "Extra income from work (fictional)", 0.30, 0.20, 0.40, 3,
            recurring=False),
        Out("Council", "Fewer school exclusions", "Exclusions avoided", "=Exclusions_avoided",
            "=Exclusion_cost", "Council unit cost (fictional)", 0.10),
        Out("Volunteers", "Better wellbeing", "Volunteers", "=Mentors", "=Wellbeing_value",
            "Wellbeing valuation (fictional)", None, 0.50),
        Qual("Young people", "More self-confidence", "Self-report", "Not valued in money"),
    ],
    scenarios=[
        Scen("low", "Into_work", 0.15, "Lowest rate seen in similar programmes"),
        Scen("high", "Into_work", 0.35, "Highest rate seen in similar programmes"),
    ],
    categories={"Young people": "participant", "Council": "municipality",
                "Volunteers": "volunteer"},
)

EXAMPLES = (BLENDED_CARE, OUDERS_LOKAAL, MAATJES, STERK, SAMEN_OPLOPEN, MENTORING)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def _row(sheet: schema.Sheet, data: dict, lang: str) -> list:
    """Values in the sheet's column order, so columns added to the template stay blank."""
    values = []
    for column in sheet.columns:
        value = data.get(column.key)
        if column.key == "kind" and value is not None:
            value = schema.INPUT_KINDS[value](lang)
        values.append(value)
    return values


def _cache_formulas(ws, fmt, sheet: schema.Sheet, rows: list[list], cached: dict,
                    title: str, percent_rows: set[int] = frozenset()) -> None:
    """Rewrite formula cells with the value the engine gives, so every reader sees a number."""
    for r, values in enumerate(rows, 1):
        for c, value in enumerate(values):
            if isinstance(value, str) and value.startswith("="):
                column = sheet.columns[c]
                style = (fmt["input_percent"] if r in percent_rows and column.key == "value"
                         else template._input_format(fmt, column.kind))
                cell = xl_rowcol_to_cell(r, c, row_abs=False, col_abs=False)
                ws.write_formula(r, c, value, style, cached.get((title, cell), 0))


def build(example: Example, cached: dict | None = None) -> bytes:
    """One example workbook as .xlsx bytes; identical bytes on every call."""
    lang = example.lang
    cached = cached or {}
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"title": example.settings["name"],
                         "creator": f"sroi-excel {__version__}",
                         "created": template.FIXED_DATE})
    book.set_size(1600, 1000)
    fmt = {name: book.add_format({"font_name": schema.FONT, **props})
           for name, props in STYLES.items()}
    template._readme(book, fmt, lang, example.readme)
    readme = book.get_worksheet_by_name(schema.README_SHEET(lang))
    for row, (style, text) in enumerate(example.readme):
        if style == "wrap" and len(text) > 90:  # LibreOffice does not grow wrapped rows itself
            readme.set_row(row, 15 * (1 + len(text) // 90))
    template._settings(book, fmt, lang, example.settings)
    template._table(book, fmt, schema.STAKEHOLDERS, lang,
                    [[name, desc, *template.category_cells(
                        schema.category_label(example.categories[name], lang)), *rest]
                     for name, desc, *rest in example.stakeholders])

    sheet = schema.ASSUMPTIONS
    title = sheet.name(lang)
    rows = [_row(sheet, a, lang) for a in example.assumptions]
    ws = template._table(book, fmt, sheet, lang, rows)
    template._year_columns(ws, fmt, lang)
    value_col = [c.key for c in sheet.columns].index("value")
    percent_rows = {r for r, a in enumerate(example.assumptions, 1) if a["unit"] == "%"}
    for r in percent_rows:
        ws.write_number(r, value_col, example.assumptions[r - 1]["value"], fmt["input_percent"])
    _cache_formulas(ws, fmt, sheet, rows, cached, title, percent_rows)
    letter = xl_col_to_name(value_col)
    for r, a in enumerate(example.assumptions, 2):
        book.define_name(a["name"], f"='{title}'!${letter}${r}")

    for sheet, data in ((schema.INPUTS, example.inputs), (schema.OUTCOMES, example.outcomes),
                        (schema.SCENARIOS, example.scenarios)):
        rows = [_row(sheet, d, lang) for d in data]
        ws = template._table(book, fmt, sheet, lang, rows)
        _cache_formulas(ws, fmt, sheet, rows, cached, sheet.name(lang))
    book.close()
    return out.getvalue()


def formula_values(data: bytes) -> dict[tuple[str, str], float]:
    """Every formula cell of an example, evaluated by the engine for year 1 at base values."""
    reading = reader.read(data, "example.xlsx")
    if reading.errors:
        raise SystemExit("the example has errors:\n" + "\n".join(map(str, reading.errors)))
    model = reading.model
    values = core.Frame(model, None).years()[1]
    amounts = [a.value for a in model.assumptions]
    for item in model.inputs:
        amounts += [x for x in (item.amount, item.hours, item.rate) if x is not None]
    for o in model.outcomes:
        amounts += [x for x in (o.quantity, o.proxy, o.deadweight, o.attribution,
                                o.displacement, o.dropoff) if x is not None]
    for s in model.scenarios:
        amounts += [amount for _, amount in s.overrides]
    return {(a.at.sheet, a.at.ref): core.evaluate_amount(a, values)
            for a in amounts if a.is_formula and a.at is not None}


def build_all() -> dict[str, bytes]:
    """Every example workbook by file name, the template's own example included."""
    made = {"buurtcoach.xlsx": template.build_template("nl")}
    for example in EXAMPLES:
        # Twice: the first pass is read back to compute the values cached with each formula.
        made[example.file] = build(example, formula_values(build(example)))
    return made


def main(argv: list[str] | None = None) -> int:
    folder = Path(argv[0]) if argv else HERE
    for name, data in build_all().items():
        (folder / name).write_bytes(data)
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
