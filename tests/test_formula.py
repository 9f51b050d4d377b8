"""Tests for the formula parser and evaluator; expected values are worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sroi_excel.exceptions import FormulaError
from sroi_excel.formula import (
    SUPPORTED_FUNCTIONS,
    Binary,
    Call,
    MappingResolver,
    Name,
    Number,
    Percent,
    RangeRef,
    Ref,
    Unary,
    evaluate,
    parse,
    references,
    to_text,
)

NAMES = {
    "Trajecten": 1300,
    "Bereik": 0.1,
    "Financieel": 0.6,
    "Succes": 0.2,
    "Uurtarief_ggz": 98.5,
    "Financiële_vraag": 4,
    "_x": 1,
    "\\back": 2,
    "Jaar.2024": 3,
    "XFE1": 5,  # column XFE is past Excel's last column XFD, so this is a name
}

CELLS = {
    (None, "B2"): 1,
    (None, "B3"): 2,
    (None, "B4"): 3,
    (None, "B5"): 10,
    ("Aannames", "B2"): 10,
    ("Aannames", "B3"): 20,
    ("Aannames", "B4"): 30,
    ("Aannames", "B5"): 40,
    ("Aannames", "C3"): 100,
    ("Naam met spatie", "B5"): 7,
    ("It's", "A1"): 5,
}

RESOLVER = MappingResolver(NAMES, CELLS)

# Formulas whose unsupported construct must be named together with what is supported.
UNSUPPORTED_HINT = "SUM, MIN, MAX, ROUND, ROUNDUP, ROUNDDOWN, AVERAGE, ABS and PRODUCT"


def value(text: str) -> float:
    return evaluate(parse(text), RESOLVER)


# ------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        # Blended Care chains from the example workbook
        ("=1300*10%*60%*20%*200", 3120),  # 1300*0.1=130, *0.6=78, *0.2=15.6, *200=3120
        ("=1300*0.1*0.6*0.048*15797.6", 59146.2144),  # 78*0.048=3.744, *15797.6
        ("=0.02*60*8900*0.6*13.06", 83688.48),  # 1.2*8900=10680, *0.6=6408, *13.06
        ("=1430/2*55380*0.04*0.05", 79193.4),  # 715*55380=39596700, *0.002
        ("=ROUND(0.8*(660+18*9),0)*75", 49350),  # 0.8*822=657.6 -> 658, *75
        # numbers
        ("1", 1),
        ("=1.5", 1.5),
        (".5", 0.5),
        ("1.", 1),
        ("1e3", 1000),
        ("1E-3", 0.001),
        ("2.5e+2", 250),
        # percent
        ("20%", 0.2),
        ("20%%", 0.002),
        ("200*5%", 10),
        ("(1+1)%", 0.02),
        ("-50%", -0.5),
        ("50%^2", 0.25),  # % binds tighter than ^: 0.5^2
        ("4^50%", 2),  # 4^0.5
        # precedence and associativity, following Excel
        ("1+2*3", 7),
        ("(1+2)*3", 9),
        ("10-4-3", 3),  # (10-4)-3
        ("100/10/5", 2),  # (100/10)/5
        ("2^3^2", 64),  # Excel: (2^3)^2, not 2^9
        ("2^(3^2)", 512),
        ("-2^2", 4),  # Excel: (-2)^2
        ("0-2^2", -4),  # binary minus binds looser than ^
        ("-(2^2)", -4),
        ("-2^3", -8),
        ("2^-1", 0.5),
        ("2*-3^2", 18),  # 2*((-3)^2)
        ("2^3*2", 16),
        ("2*3^2", 18),
        ("--2", 2),
        ("+-+2", -2),
        ("1--1", 2),
        ("=+5", 5),
        # whitespace
        (" = 1 +  2 * 3 ", 7),
        ("1\n+\t2", 3),
        # functions, either separator, any case
        ("SUM(1,2,3)", 6),
        ("sum(1;2;3)", 6),
        ("Sum(1;2,3)", 6),
        ("MIN(3,1,2)", 1),
        ("MAX(3;1;2)", 3),
        ("AVERAGE(1,2,3,4)", 2.5),
        ("PRODUCT(2,3,4)", 24),
        ("ABS(-3.5)", 3.5),
        ("ABS(2-5)*2", 6),
        ("SUM(SUM(1,2),MAX(1,5))", 8),
        ("SUM (1,2)", 3),  # a space before the bracket is tolerated for functions
        # Excel's ROUND family: ties away from zero, decimal view of the number
        ("ROUND(2.5,0)", 3),
        ("ROUND(-2.5,0)", -3),
        ("ROUND(0.125,2)", 0.13),  # the float 0.125 is exact, the tie goes up
        ("ROUND(1.005,2)", 1.01),  # the float is 1.00499999..., Excel still says 1.01
        ("ROUND(2.675,2)", 2.68),  # likewise 2.67499999...
        ("ROUND(1234.5678,-2)", 1200),
        ("ROUND(1250,-2)", 1300),
        ("ROUND(1.234,1.9)", 1.2),  # Excel truncates the number of digits to 1
        ("ROUND(5,-400)", 0),
        ("ROUND(1/3,20)", 0.333333333333333),  # 15 significant digits, as Excel keeps
        ("ROUND(12.5;0)", 13),
        ("ROUNDUP(1.21,1)", 1.3),
        ("ROUNDUP(-1.21,1)", -1.3),  # away from zero
        ("ROUNDUP(0.1+0.2,1)", 0.3),  # 0.30000000000000004 in binary, 0.3 to Excel
        ("ROUNDUP(3,0)", 3),
        ("ROUNDDOWN(1.29,1)", 1.2),
        ("ROUNDDOWN(-1.29,1)", -1.2),  # toward zero
        ("ROUNDDOWN(1999,-3)", 1000),
    ],
)
def test_value(formula: str, expected: float) -> None:
    assert value(formula) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_round_never_returns_negative_zero() -> None:
    assert math.copysign(1, value("ROUND(-0.4,0)")) == 1


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=Trajecten*Bereik*Financieel*Succes*200", 3120),
        ("=trajecten*BEREIK", 130),  # Excel names ignore case
        ("=Uurtarief_ggz*2", 197),
        ("=Financiële_vraag/2", 2),
        ("=Jaar.2024+_x+\\back", 6),
        ("=XFE1*2", 10),
        ("=SUM(Trajecten;Bereik)", 1300.1),
        ("=Bereik%", 0.001),
    ],
)
def test_names(formula: str, expected: float) -> None:
    assert value(formula) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("B5", 10),
        ("$B$5", 10),
        ("b$5", 10),
        ("=Aannames!B5*20%", 8),
        ("=aannames!$b5", 40),  # sheet names ignore case too
        ("='Aannames'!B5", 40),
        ("='Naam met spatie'!$B$5", 7),
        ("='It''s'!A1", 5),  # '' inside quotes is one quote
        ("=SUM(B2:B4)/2", 3),
        ("=SUM($B$2:$B$4)", 6),
        ("=SUM(B4:B2)", 6),  # corners in either order
        ("=SUM(Aannames!B2:B4)", 60),
        ("=SUM(Aannames!B2:Aannames!B4)", 60),
        ("=SUM(Aannames!B2:C3)", 130),  # B2 + B3 + C3 = 10 + 20 + 100
        ("=SUM(B2:B4;B5)", 16),
        ("=MIN(Aannames!B2:B5)", 10),
        ("=MAX(B2:B4,Aannames!B5)", 40),
        ("=AVERAGE(B2:B4)", 2),
        ("=PRODUCT(B2:B4;2)", 12),
        ("=SUM(C1:C9)", 0),  # Excel: empty range sums to 0
        ("=MIN(C1:C9)", 0),
        ("=MAX(C1:C9)", 0),
        ("=PRODUCT(C1:C9)", 0),
        ("=SUM('Naam met spatie'!A1:C9)", 7),
    ],
)
def test_refs_and_ranges(formula: str, expected: float) -> None:
    assert value(formula) == pytest.approx(expected, rel=1e-12)


def test_long_chain_is_not_limited_by_recursion() -> None:
    # Excel allows 8192 characters, so a sum of 3000 cells written with + is legal.
    text = "=" + "+".join(["B2"] * 3000)
    node = parse(text)
    assert evaluate(node, RESOLVER) == 3000
    assert len(references(node)) == 3000
    # dataclass == would recurse 3000 levels deep, so compare the texts instead
    assert to_text(parse(to_text(node))) == text[1:]


# ------------------------------------------------------------------------------------------
# Trees
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "tree"),
    [
        ("B5", Ref(None, "B5")),
        ("=$b$5", Ref(None, "B5")),
        ("AB12", Ref(None, "AB12")),  # looks like a cell, so it is one
        ("XFD1048576", Ref(None, "XFD1048576")),
        ("XFE1", Name("XFE1")),
        ("Uurtarief_ggz", Name("Uurtarief_ggz")),
        ("Financiële_vraag", Name("Financiële_vraag")),
        ("Aannames!B5", Ref("Aannames", "B5")),
        ("'Naam met spatie'!$B$5", Ref("Naam met spatie", "B5")),
        ("'It''s'!A1", Ref("It's", "A1")),
        ("SUM(Aannames!B2:B4)", Call("SUM", (RangeRef("Aannames", "B2", "B4"),))),
        ("sum(1;2)", Call("SUM", (Number(1.0), Number(2.0)))),
        ("-2^2", Binary("^", Unary("-", Number(2.0)), Number(2.0))),
        ("2^3^2", Binary("^", Binary("^", Number(2.0), Number(3.0)), Number(2.0))),
        ("-5%", Percent(Unary("-", Number(5.0)))),
        ("1-2-3", Binary("-", Binary("-", Number(1.0), Number(2.0)), Number(3.0))),
        ("1+2*3", Binary("+", Number(1.0), Binary("*", Number(2.0), Number(3.0)))),
    ],
)
def test_parse_tree(formula: str, tree: object) -> None:
    assert parse(formula) == tree


def test_supported_functions() -> None:
    names = {"SUM", "MIN", "MAX", "ROUND", "ROUNDUP", "ROUNDDOWN", "AVERAGE", "ABS", "PRODUCT"}
    assert set(SUPPORTED_FUNCTIONS) == names
    assert isinstance(SUPPORTED_FUNCTIONS, frozenset)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        (
            "=Trajecten*Aannames!B5+SUM(B2:B4;Bereik)-Trajecten",
            (
                Name("Trajecten"),
                Ref("Aannames", "B5"),
                RangeRef(None, "B2", "B4"),
                Name("Bereik"),
                Name("Trajecten"),
            ),
        ),
        ("=1+2", ()),
        ("=-(A1)%", (Ref(None, "A1"),)),
        ("=ROUND(x*'My sheet'!C3,y)", (Name("x"), Ref("My sheet", "C3"), Name("y"))),
    ],
)
def test_references(formula: str, expected: tuple) -> None:
    assert references(parse(formula)) == expected


@pytest.mark.parametrize(
    ("formula", "canonical"),
    [
        ("=Trajecten * Bereik", "Trajecten*Bereik"),
        ("=$B$5*20%", "B5*20%"),
        ("='Naam met spatie'!$b$5", "'Naam met spatie'!B5"),
        ("='It''s'!A1", "'It''s'!A1"),
        ("='Aannames'!B5", "Aannames!B5"),  # needless quotes dropped
        ("='A1'!B5", "'A1'!B5"),  # a sheet named like a cell keeps its quotes
        ("=sum(b2:b4;1)", "SUM(B2:B4,1)"),
        ("=(1+2)*3", "(1+2)*3"),
        ("=1+(2*3)", "1+2*3"),
        ("=1-(2-3)", "1-(2-3)"),
        ("=(1-2)-3", "1-2-3"),
        ("=1/(2*3)", "1/(2*3)"),
        ("=2^(3^2)", "2^(3^2)"),
        ("=(2^3)^2", "2^3^2"),
        ("=-2^2", "-2^2"),
        ("=-(2^2)", "-(2^2)"),
        ("=-(5%)", "-(5%)"),
        ("=(-5)%", "-5%"),
        ("=(A1+A2)%", "(A1+A2)%"),
        ("=2*-3", "2*-3"),
        ("=1e3+.5", "1000+0.5"),
        ("=1E-7", "1e-07"),
        ("=1e20", "1e+20"),
        ("=ROUND(0.8*(660+18*9),0)*75", "ROUND(0.8*(660+18*9),0)*75"),
        ("=1300*10%*60%*20%*200", "1300*10%*60%*20%*200"),
    ],
)
def test_to_text_round_trip(formula: str, canonical: str) -> None:
    node = parse(formula)
    assert to_text(node) == canonical
    assert parse(canonical) == node


_leaves = st.one_of(
    st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False).map(Number),
    st.sampled_from(["Trajecten", "Financiële_vraag", "_x", "Jaar.2024"]).map(Name),
    st.sampled_from([None, "Aannames", "Naam met spatie", "It's", "A1"]).map(
        lambda sheet: Ref(sheet, "B5")
    ),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(st.sampled_from("+-"), children).map(lambda t: Unary(*t)),
        st.tuples(st.sampled_from("+-*/^"), children, children).map(lambda t: Binary(*t)),
        children.map(Percent),
        st.lists(children, min_size=1, max_size=3).map(lambda args: Call("SUM", tuple(args))),
        st.tuples(children, children).map(lambda t: Call("ROUND", t)),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(_leaves, _extend, max_leaves=25))
def test_to_text_round_trips_any_tree(node: object) -> None:
    assert parse(to_text(node)) == node


# ------------------------------------------------------------------------------------------
# Errors while parsing
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("", "the formula is empty"),
        ("=", "the formula is empty"),
        ("   ", "the formula is empty"),
        # constructs outside the arithmetic subset
        ('="ja"', "text in quotes"),
        ("=A1>0", "comparisons"),
        ("=A1<>B1", "comparisons"),
        ("=A1=B1", "comparisons"),
        ("=A1&B1", "joining text with &"),
        ("=IF(A1>0,1,2)", "the function IF is not supported"),
        ('=VLOOKUP("x",B1:C9,2,FALSE)', "the function VLOOKUP is not supported"),
        ("=iferror(1/0,0)", "the function IFERROR is not supported"),
        ("=_xlfn.XLOOKUP(1,A1:A3,B1:B3)", "the function XLOOKUP is not supported"),
        ("=SUMPRODUCT(A1:A3,B1:B3)", "the function SUMPRODUCT is not supported"),
        ("=LOG10(100)", "the function LOG10 is not supported"),
        ("={1,2,3}", "array constants in braces"),
        ("=SUM(Table1[Bedrag])", "structured table references"),
        ("=[1]Blad1!A1", "square brackets"),
        ("='[Book.xlsx]Blad1'!A1", "links to other workbooks"),
        ("=SUM(A:A)", "whole-column references such as A:A"),
        ("=SUM($A:$A)", "whole-column references"),
        ("=SUM(Aannames!B:B)", "whole-column references such as Aannames!B:B"),
        ("=SUM(1:1)", "whole-row references such as 1:1"),
        ("=Jan:Dec!B5", "references across several sheets"),
        ("='Jan:Dec'!B5", "references across several sheets"),
        ("=@A1", "the @ operator"),
        ("=A1#", "spilled ranges"),
        ("=TRUE+1", "the logical value TRUE is not supported"),
        # Excel error values, with what they usually mean
        ("=#REF!*2", "contains the Excel error value #REF!, which usually means a cell or sheet"),
        ("=Blad1!#REF!", "Excel error value #REF!"),
        ("=#ref!+1", "Excel error value #REF!"),
        ("=1/#DIV/0!", "#DIV/0!, which means something was divided by zero"),
        ("=#NAME?", "#NAME?, which usually means a misspelt name"),
        ("=#N/A", "#N/A, which usually means a lookup"),
        ("=#VALUE!+1", "#VALUE!, which usually means text was used"),
        ("=#NUM!", "#NUM!"),
        # ranges outside SUM and friends
        ("=B2:B4", "the range B2:B4 can only be used inside SUM"),
        ("=Aannames!B2:B4*2", "the range Aannames!B2:B4 can only be used inside SUM"),
        ("=ROUND(B2:B4,0)", "can only be used inside SUM, MIN, MAX, AVERAGE or PRODUCT"),
        ("=ABS(B2:B4)", "can only be used inside SUM"),
        ("=A1:", "the range A1: is incomplete"),
        ("=SUM(A1:B)", "the range A1:B is incomplete"),
        ("=SUM(A1:Blad2!B3)", "a range must stay on one sheet"),
        ("=SUM(Start:Eind)", "'Start' cannot start a range"),
        # syntax slips
        ("=(1+2", "a closing bracket ')' is missing"),
        ("=SUM(1,2", "a closing bracket ')' is missing"),
        ("=1+2)", "without a matching opening bracket"),
        ("=1+", "the formula ends after '+'"),
        ("=*2", "missing before '*'"),
        ("=()", "missing before ')'"),
        ("=1 2", "an operator such as + or * is missing before '2'"),
        ("=Trajecten (2)", "an operator such as + or * is missing before '('"),
        ("=SUM(1 2)", "missing before '2' inside SUM(...)"),
        ("=2 Aannames!B5", "missing before 'Aannames!'"),
        ("=1,5", "write decimals with a point"),
        ("=1;5", "';' can only separate the arguments of a function"),
        ("=B2:B4:B6", "':' must stand between two cell references"),
        ("=:B4", "':' must stand between two cell references"),
        ("=SUM(1,,2)", "SUM has an empty argument"),
        ("=SUM(1,)", "SUM has an empty argument"),
        ("=SUM()", "SUM needs at least one argument"),
        ("=ROUND(1.5)", "ROUND needs exactly 2 arguments"),
        ("=ROUNDUP(1,2,3)", "ROUNDUP needs exactly 2 arguments"),
        ("=ABS(1,2)", "ABS needs exactly 1 argument"),
        ("=2x", "'2x' is not a valid number or name"),
        ("=1.2.3", "'1.2.3' is not a valid number"),
        ("=1e999", "the number 1e999 is too large"),
        ("=Aannames!Trajecten", "sheet-level names such as Aannames!Trajecten"),
        ("=Aannames!", "after Aannames! a cell reference is expected"),
        ("='Naam met spatie'!", "after 'Naam met spatie'! a cell reference is expected"),
        ("='Open sheet!A1", "a quote ' is not closed"),
        ("='Blad'A1", "must be followed by ! and a cell"),
        ("=''!A1", "a sheet name is missing"),
        ("=$X$", "'$X$' is neither a cell reference such as B5 nor a valid name"),
        ("=Blad$1!A1", "not a valid sheet name"),
        ("=a\\b", "neither a cell reference"),  # a backslash may only start a name
        ("=!A1", "'!' must come right after a sheet name"),
        ("=5 €", "the character '€' is not allowed"),
        ("=" + "(" * 65 + "1" + ")" * 65, "nested more than 64 levels"),
        ("=" + "-" * 300 + "1", "nested more than 200 levels"),
    ],
)
def test_parse_errors(formula: str, fragment: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse(formula)
    assert fragment in str(caught.value)
    assert caught.value.formula == formula


@pytest.mark.parametrize(
    "formula",
    [
        '="ja"',
        "=A1>0",
        "=A1&B1",
        "=IF(A1>0,1,2)",
        "=VLOOKUP(1,B1:C9,2)",
        "={1,2,3}",
        "=Table1[Bedrag]",
        "=SUM(A:A)",
        "=SUM(1:1)",
        "='[Book.xlsx]Blad1'!A1",
        "",
    ],
)
def test_unsupported_constructs_say_what_is_supported(formula: str) -> None:
    with pytest.raises(FormulaError, match="use \\+ - \\* / \\^ and %") as caught:
        parse(formula)
    assert UNSUPPORTED_HINT in str(caught.value)


def test_formula_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse("=1+")


def test_non_text_formula() -> None:
    with pytest.raises(FormulaError, match="must be text"):
        parse(12)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Errors while evaluating
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("=1/0", "division by zero"),
        ("=1/(B5-10)", "division by zero"),  # B5 is 10
        ("=10/SUM(C1:C9)", "division by zero"),
        ("=0^-1", "division by zero"),
        ("=0^0", "0^0 has no value"),
        ("=(-8)^(1/3)", "cannot be raised to the fractional power"),
        ("=1e308*10", "too large to calculate"),
        ("=10^400", "too large to calculate"),
        ("=ROUND(1e308*10,0)", "too large to calculate"),
        ("=1e308+1e308-1e308", "too large to calculate"),  # inf - 1e308 stays inf
        ("=AVERAGE(C1:C9)", "AVERAGE found no numbers"),
        ("=Onbekend*2", "the name 'Onbekend' is not defined"),
        ("=Z99", "the cell Z99 has no value"),
        ("='Naam met spatie'!Z1", "the cell 'Naam met spatie'!Z1 has no value"),
    ],
)
def test_evaluation_errors(formula: str, fragment: str) -> None:
    node = parse(formula)
    with pytest.raises(FormulaError) as caught:
        evaluate(node, RESOLVER)
    assert fragment in str(caught.value)
    assert caught.value.formula == to_text(node)


def test_negative_base_with_whole_exponent_is_fine() -> None:
    assert value("=(-2)^3") == -8
    assert value("=(-8)^(3/3)") == -8


def test_evaluate_reuses_the_tree() -> None:
    # The engine parses once and evaluates per year and outcome with different values.
    node = parse("=Trajecten*Bereik")
    results = [
        evaluate(node, MappingResolver({"Trajecten": n, "Bereik": 0.5})) for n in (10, 20, 30)
    ]
    assert results == [5, 10, 15]


def test_mapping_resolver_is_case_insensitive_for_names_and_sheets() -> None:
    resolver = MappingResolver({"Uurtarief": 80}, {("Aannames", "$b$5"): 2})
    assert resolver.name("UURTARIEF") == 80
    assert resolver.ref("AANNAMES", "B5") == 2
    assert resolver.range("aannames", "B1", "B9") == [2]
