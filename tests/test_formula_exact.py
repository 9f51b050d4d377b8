"""The formula engine to the letter: every message in full, values worked out by hand, and
arrays (one value per Monte Carlo draw) element by element, NaN where Excel has no value.

Fast on purpose: mutation testing (``make mutate``) runs these for every change it makes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from sroi_excel.exceptions import FormulaError
from sroi_excel.formula import (
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
    name_keys,
    parse,
    references,
    to_text,
)

# What every "not supported" message ends with, written out here.
S = ("use + - * / ^ and %, brackets, numbers, names, cell references such as B5 or Aannames!B5 "
     "and the functions SUM, MIN, MAX, ROUND, ROUNDUP, ROUNDDOWN, AVERAGE, ABS and PRODUCT")
TOO_LARGE = ("the result is too large to calculate (it overflows); check the numbers and units "
             "in the formula")


def message(text: str) -> str:
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert info.value.formula == text
    return str(info.value)


@pytest.mark.parametrize("text,expected", [
    # quoted sheet names
    ("='Open sheet!A1", "a quote ' is not closed; sheet names are quoted like 'My sheet'!B5"),
    ("='It''s", "a quote ' is not closed; sheet names are quoted like 'My sheet'!B5"),
    ("='It''", "a quote ' is not closed; sheet names are quoted like 'My sheet'!B5"),
    ("='Blad'A1", "'Blad' must be followed by ! and a cell, as in 'Blad'!B5"),
    ("='Blad'", "'Blad' must be followed by ! and a cell, as in 'Blad'!B5"),
    ("='It''s'", "'It's' must be followed by ! and a cell, as in 'It's'!B5"),
    ("=''!A1", "a sheet name is missing before '!'"),
    ("='[1]Blad'!A1", "links to other workbooks are not supported; copy the value into this "
                      "workbook; " + S),
    ("='[Blad'!A1", "links to other workbooks are not supported; copy the value into this "
                    "workbook; " + S),
    ("='Blad]'!A1", "links to other workbooks are not supported; copy the value into this "
                    "workbook; " + S),
    ("='Jan:Dec'!B5", "references across several sheets such as 'Jan:Dec'!B5 are not "
                      "supported; " + S),
    # characters and error values
    ("=#REF!", "the formula contains the Excel error value #REF!, which usually means a cell "
               "or sheet the formula referred to has been deleted; correct the formula in Excel "
               "and save the workbook again"),
    ("=1+#div/0!", "the formula contains the Excel error value #DIV/0!, which means something "
                   "was divided by zero or by an empty cell; correct the formula in Excel and "
                   "save the workbook again"),
    ("=#SPILL!", "the formula contains the Excel error value #SPILL!, which means Excel could "
                 "not calculate the formula; correct the formula in Excel and save the workbook "
                 "again"),
    ("=A1#", "'#' is not supported here (spilled ranges such as A1# cannot be evaluated); " + S),
    ("=1<2", "comparisons such as =, <, >, <=, >= and <> are not supported; " + S),
    ("=5 €", "the character '€' is not allowed in a formula; " + S),
    ("=!A1", "'!' must come right after a sheet name, as in Aannames!B5; " + S),
    # numbers and words
    ("=2x", "'2x' is not a valid number or name"),
    ("=2abc+1", "'2abc' is not a valid number or name"),
    ("=1.2.3", "'1.2.3' is not a valid number or name"),
    ("=1e999", "the number 1e999 is too large"),
    ("=Blad$1!A1", "'Blad$1' is not a valid sheet name; write 'Sheet name'!B5"),
    ("=a\\b!A1", "'a\\b' is not a valid sheet name; write 'Sheet name'!B5"),
    ("=TRUE", "the logical value TRUE is not supported; use 1 or 0 instead"),
    ("=false+1", "the logical value FALSE is not supported; use 1 or 0 instead"),
    ("=$X$", "'$X$' is neither a cell reference such as B5 nor a valid name; names start with "
             "a letter, _ or \\ and contain only letters, digits, _ and ."),
    # functions
    ("=IF(1,2,3)", "the function IF is not supported (conditions cannot be evaluated); " + S),
    ("=_xlfn.XLOOKUP(1,2,3)", "the function XLOOKUP is not supported (put the looked-up value "
                              "in a cell or a name and refer to that); " + S),
    ("=_xlws.SORT(A1)", "the function SORT is not supported; " + S),
    ("=TODAY()", "the function TODAY is not supported; " + S),
    ("=ROUND(1.5)", "ROUND needs exactly 2 arguments, as in ROUND(B5,2), but got 1"),
    ("=ROUNDDOWN()", "ROUNDDOWN needs exactly 2 arguments, as in ROUNDDOWN(B5,2), but got 0"),
    ("=ABS(1,2)", "ABS needs exactly 1 argument, as in ABS(B5), but got 2"),
    ("=SUM()", "SUM needs at least one argument, as in SUM(B2:B4)"),
    ("=MAX(" + ",".join(["1"] * 256) + ")", "MAX takes at most 255 arguments, got 256"),
    ("=SUM(1,,2)", "SUM has an empty argument before ','; fill it in or remove the extra "
                   "separator"),
    ("=SUM(;1)", "SUM has an empty argument before ';'; fill it in or remove the extra "
                 "separator"),
    ("=MAX(1,)", "MAX has an empty argument before ')'; fill it in or remove the extra "
                 "separator"),
    # brackets, separators and operators
    ("=(1+2", "a closing bracket ')' is missing"),
    ("=SUM(1,2", "a closing bracket ')' is missing"),
    ("=1+2)", "there is a closing bracket ')' without a matching opening bracket"),
    ("=1,5", "',' can only separate the arguments of a function, as in SUM(A1,A2); write "
             "decimals with a point, as in 1.5"),
    ("=(1;5)", "';' can only separate the arguments of a function, as in SUM(A1;A2); write "
               "decimals with a point, as in 1.5"),
    ("=B2:B4:B6", "':' must stand between two cell references, as in B2:B4"),
    ("=(B2:B4:B6)", "':' must stand between two cell references, as in B2:B4"),
    ("=:B4", "':' must stand between two cell references, as in B2:B4"),
    ("=1 2", "an operator such as + or * is missing before '2'"),
    ("=1 '+'!A1", "an operator such as + or * is missing before ''+'!'"),
    ("=1+.", "the character '.' is not allowed in a formula; " + S),
    ("=(1 2)", "an operator such as + or * is missing before '2'"),
    ("=SUM(1 2)", "an operator such as + or * is missing before '2' inside SUM(...)"),
    ("=Trajecten (2)", "an operator such as + or * is missing before '('"),
    ("=2 Aannames!B5", "an operator such as + or * is missing before 'Aannames!'"),
    ("=2 'Blad 1'!B5", "an operator such as + or * is missing before ''Blad 1'!'"),
    ("=", "the formula is empty; " + S),
    ("=  ", "the formula is empty; " + S),
    ("=1+", "the formula ends after '+'; a number, name or cell reference is missing"),
    ("=(", "the formula ends after '('; a number, name or cell reference is missing"),
    ("=-", "the formula ends after '-'; a number, name or cell reference is missing"),
    ("=*2", "a number, name or cell reference is missing before '*'"),
    ("=()", "a number, name or cell reference is missing before ')'"),
    # sheets, columns, rows and ranges
    ("=Aannames!Trajecten", "sheet-level names such as Aannames!Trajecten are not supported; "
                            "refer to a cell such as Aannames!B5 or use a workbook-level name"),
    ("=Aannames!Abc", "sheet-level names such as Aannames!Abc are not supported; refer to a "
                      "cell such as Aannames!B5 or use a workbook-level name"),
    ("=Aannames!B:C", "whole-column references such as Aannames!B:B are not supported; use a "
                      "cell range such as Aannames!A2:A100; " + S),
    ("=Aannames!1:1", "whole-row references such as Aannames!1:1 are not supported; use a cell "
                      "range such as Aannames!A1:F1; " + S),
    ("=Aannames!", "after Aannames! a cell reference is expected, as in Aannames!B5"),
    ("=Aannames!5", "after Aannames! a cell reference is expected, as in Aannames!B5"),
    ("='Blad 1'!", "after 'Blad 1'! a cell reference is expected, as in 'Blad 1'!B5"),
    ("=B:B", "whole-column references such as B:B are not supported; use a cell range such "
             "as A2:A100; " + S),
    ("=2:2", "whole-row references such as 2:2 are not supported; use a cell range such as "
             "A1:F1; " + S),
    ("=Jan:Dec!B5", "references across several sheets such as Jan:Dec!B5 are not supported; "
                    + S),
    ("=SUM(Start:Eind)", "'Start' cannot start a range; write ranges with two cell "
                         "references, as in B2:B4"),
    ("=SUM(B2:)", "the range B2: is incomplete; write both corners as cell references, as in "
                  "B2:B4"),
    ("=SUM(B2:Naam)", "the range B2:Naam is incomplete; write both corners as cell references, "
                      "as in B2:B4"),
    ("=SUM(Blad!B2:5)", "the range Blad!B2:5 is incomplete; write both corners as cell "
                        "references, as in B2:B4"),
    # the corner after the second sheet is a sheet name itself, 'B4'!
    ("=SUM(Blad!B2:Blad!B4!)", "the range Blad!B2: is incomplete; write both corners as cell "
                               "references, as in B2:B4"),
    ("=SUM(Blad!B2:Andere!B4)", "a range must stay on one sheet, as in Aannames!B2:B4"),
    ("=SUM(B2:Blad!B4)", "a range must stay on one sheet, as in Aannames!B2:B4"),
    ("=B2:B4", "the range B2:B4 can only be used inside SUM, MIN, MAX, AVERAGE or PRODUCT, as "
               "in SUM(B2:B4); refer to a single cell such as B5 otherwise"),
    ("=1+B2:B4", "the range B2:B4 can only be used inside SUM, MIN, MAX, AVERAGE or PRODUCT, as "
                 "in SUM(B2:B4); refer to a single cell such as B5 otherwise"),
    ("=-B2:B4", "the range B2:B4 can only be used inside SUM, MIN, MAX, AVERAGE or PRODUCT, as "
                "in SUM(B2:B4); refer to a single cell such as B5 otherwise"),
    ("=SUM(ABS(Blad!B2:B4))", "the range Blad!B2:B4 can only be used inside SUM, MIN, MAX, "
                              "AVERAGE or PRODUCT, as in SUM(Blad!B2:B4); refer to a single "
                              "cell such as B5 otherwise"),
    # nesting
    ("=" + "(" * 65 + "1" + ")" * 65, "brackets and functions are nested more than 64 levels "
                                      "deep; split the formula over several cells"),
    ("=" + "-" * 201 + "1", "the formula is nested more than 200 levels deep; split it over "
                            "several cells"),
    ("=1+" + "-" * 200 + "1", "the formula is nested more than 200 levels deep; split it over "
                              "several cells"),
    ("=ABS(" + "-" * 200 + "1)", "the formula is nested more than 200 levels deep; split it "
                                 "over several cells"),
    # nesting is counted down again after a bracket or a function closes
    ("=ABS(1)+" + "(" * 65 + "1" + ")" * 65, "brackets and functions are nested more than 64 "
                                             "levels deep; split the formula over several cells"),
    ("=(1)+" + "(" * 65 + "1" + ")" * 65, "brackets and functions are nested more than 64 "
                                          "levels deep; split the formula over several cells"),
])
def test_parse_error_in_full(text, expected):
    assert message(text) == expected


def test_a_formula_must_be_text():
    with pytest.raises(FormulaError) as info:
        parse(5)
    assert str(info.value) == "a formula must be text, not int" and info.value.formula == "5"


@pytest.mark.parametrize("text,tree", [
    ("='Blad 1'!B5+1", Binary("+", Ref("Blad 1", "B5"), Number(1.0))),
    ("='It''s'!B5", Ref("It's", "B5")),
    ("='A'''!$b$5", Ref("A'", "B5")),
    ("=SUM('Blad 1'!B2:'Blad 1'!B4)", Call("SUM", (RangeRef("Blad 1", "B2", "B4"),))),
    ("=SUM(Blad!B2:blad!B4)", Call("SUM", (RangeRef("Blad", "B2", "B4"),))),
    ("=sum (1;2)", Call("SUM", (Number(1.0), Number(2.0)))),
    ("=Sum(1)", Call("SUM", (Number(1.0),))),
    ("=" + "(" * 64 + "1" + ")" * 64, Number(1.0)),
    ("=" + "-" * 200 + "1", parse("=" + "-" * 200 + "1")),
    # as in Excel, a sign binds before % and ^: -2^2 is 4
    ("=--5%%", Percent(Percent(Unary("-", Unary("-", Number(5.0)))))),
    ("=+2^-1", Binary("^", Unary("+", Number(2.0)), Unary("-", Number(1.0)))),
    ("=1-2-3", Binary("-", Binary("-", Number(1.0), Number(2.0)), Number(3.0))),
    ("=2^3^2", Binary("^", Binary("^", Number(2.0), Number(3.0)), Number(2.0))),
    ("=1+2*3", Binary("+", Number(1.0), Binary("*", Number(2.0), Number(3.0)))),
    ("=_x.y+\\z", Binary("+", Name("_x.y"), Name("\\z"))),
    ("=.5e1", Number(5.0)),
])
def test_parse_trees(text, tree):
    assert parse(text) == tree


def test_max_arguments_and_depth_are_allowed():
    assert evaluate(parse("=SUM(" + ",".join(["1"] * 255) + ")"), MappingResolver()) == 255
    assert evaluate(parse("=" + "-" * 200 + "1"), MappingResolver()) == 1
    assert evaluate(parse("=1+" + "-" * 199 + "1"), MappingResolver()) == 0
    assert evaluate(parse("=ABS(" + "-" * 199 + "1)"), MappingResolver()) == 1
    for closed in ("ABS(1)", "(1)"):
        text = f"={closed}+" + "(" * 64 + "1" + ")" * 64
        assert evaluate(parse(text), MappingResolver()) == 2


def test_a_long_chain_is_walked_in_a_loop():
    # 1,000 terms: a left-deep tree that recursion would not get through
    text = "+".join(["1"] * 1000)
    assert evaluate(parse("=" + text), MappingResolver()) == 1000
    assert to_text(parse("=" + text)) == text
    mixed = "-".join(["A1*2"] * 1000)  # * binds tighter: each term is one step of the chain
    assert to_text(parse("=" + mixed)) == mixed


def test_names_with_combining_marks():
    # "Café" typed with a combining accent (e + U+0301), as some keyboards produce it
    assert parse("=Cafe\u0301*2") == Binary("*", Name("Cafe\u0301"), Number(2.0))


# -- values -------------------------------------------------------------------------------------

def value(text: str, names: dict | None = None, cells: dict | None = None):
    return evaluate(parse(text), MappingResolver(names, cells))


@pytest.mark.parametrize("text,expected", [
    ("=7/2", 3.5), ("=2^10", 1024.0), ("=(-2)^3", -8.0), ("=-2^2", 4.0), ("=0^2", 0.0),
    ("=4^0.5", 2.0), ("=0^0.5", 0.0), ("=0.25^0.5", 0.5), ("=50%", 0.5), ("=200%%", 0.02),
    ("=-5", -5.0), ("=+5", 5.0),
    ("=--5", 5.0), ("=10-4-3", 3.0), ("=2^3^2", 64.0), ("=1+2*3", 7.0), ("=(1+2)*3", 9.0),
    ("=PRODUCT(2,3,4)", 24.0), ("=AVERAGE(1,2,6)", 3.0), ("=MIN(3,1,2)", 1.0),
    ("=MAX(3,1,2)", 3.0), ("=SUM(1,2,3)", 6.0), ("=ABS(-2.5)", 2.5),
    ("=ROUND(2.5,0)", 3.0), ("=ROUND(-2.5,0)", -3.0), ("=ROUND(0.125,2)", 0.13),
    ("=ROUND(1.005,2)", 1.01), ("=ROUNDUP(0.1+0.2,1)", 0.3), ("=ROUNDUP(1.21,1)", 1.3),
    ("=ROUNDUP(-1.21,1)", -1.3), ("=ROUNDDOWN(1.29,1)", 1.2), ("=ROUNDDOWN(-1.99,1)", -1.9),
    ("=ROUND(1234.5,-2)", 1200.0), ("=ROUND(1.25,1.9)", 1.3), ("=ROUND(1.5,-1.9)", 0.0),
    ("=ROUND(7,2)", 7.0), ("=ROUND(123,-500)", 0.0), ("=ROUND(1.23456789012345678,20)",
                                                      1.23456789012346),
])
def test_values(text, expected):
    found = value(text)
    assert found == expected and type(found) is float


def test_rounding_to_zero_is_not_minus_zero():
    assert math.copysign(1, value("=ROUND(-0.4,0)")) == 1
    assert math.copysign(1, value("=ROUNDDOWN(-0.04,1)")) == 1
    assert math.copysign(1, value("=ROUND(-0,2)")) == 1


@pytest.mark.parametrize("text,expected", [
    ("=1/0", "division by zero (Excel shows #DIV/0!)"),
    ("=0^0", "0^0 has no value (Excel shows #NUM!)"),
    ("=0^-1", "division by zero: 0 is raised to a negative power"),
    ("=(-8)^(1/4)", "a negative number (-8) cannot be raised to the fractional power 0.25 (Excel "
                    "shows #NUM!)"),
    ("=(-8.5)^0.5", "a negative number (-8.5) cannot be raised to the fractional power 0.5 "
                    "(Excel shows #NUM!)"),
    ("=10^400", TOO_LARGE),
    ("=ROUND(1e308*10,0)", TOO_LARGE),
    ("=ROUND(1,1e308*10)", TOO_LARGE),
    ("=AVERAGE(B2:B4)", "division by zero: AVERAGE found no numbers to average"),
    ("=Onbekend", "the name 'Onbekend' is not defined; define it in Excel under Formulas > "
                  "Name Manager, or refer to a cell instead"),
    ("=B5", "the cell B5 has no value"),
    ("='Blad 1'!B5", "the cell 'Blad 1'!B5 has no value"),
    ("=Blad!B5*2", "the cell Blad!B5 has no value"),
])
def test_value_errors_in_full(text, expected):
    with pytest.raises(FormulaError) as info:
        value(text)
    assert str(info.value) == expected
    assert info.value.formula == to_text(parse(text))  # the formula is named, as it reads


def test_a_result_too_large_names_the_formula():
    with pytest.raises(FormulaError) as info:
        value("=1e308*10")
    assert str(info.value) == TOO_LARGE and info.value.formula == "1e+308*10"


def test_empty_ranges_and_ranges_of_cells():
    cells = {("Blad", "B2"): 1, ("blad", "$B$3"): 4, ("Blad", "C2"): 10, ("Blad", "A2"): 100,
             (None, "B2"): 1000}
    for func in ("MIN", "MAX", "PRODUCT", "SUM"):
        empty = value(f"={func}(B7:B9)")
        assert empty == 0 and type(empty) is float
    assert value("=SUM(Blad!B2:B3)", cells=cells) == 5
    assert value("=SUM(BLAD!B3:B2)", cells=cells) == 5  # corners either way round
    assert value("=SUM(Blad!B2:C2)", cells=cells) == 11
    assert value("=AVERAGE(Blad!A2:C3)", cells=cells) == pytest.approx(115 / 4)
    assert value("=MIN(Blad!B2:B3,0.5)", cells=cells) == 0.5
    assert value("=B2+blad!b3", cells=cells) == 1004
    # columns past Z: AB is the 28th column, not between B and C
    wide = {(None, "B1"): 1, (None, "C1"): 2, (None, "AB1"): 100, (None, "ZZ1"): 1000,
            (None, "AAA1"): 10_000}
    assert value("=SUM(B1:C1)", cells=wide) == 3
    assert value("=SUM(C1:AB1)", cells=wide) == 102
    assert value("=SUM(AB1:AAA1)", cells=wide) == 11_100


def test_the_resolver_names_are_not_case_sensitive():
    assert value("=trajecten*2", {"Trajecten": 3}) == 6
    with pytest.raises(FormulaError) as info:
        MappingResolver(cells={(None, "5B"): 1})
    assert str(info.value) == "'5B' is not a cell reference such as B5"


def test_nodes_the_parser_never_makes():
    resolver = MappingResolver()
    cases = [
        (Call("IF", (Number(1.0),)), "the function IF is not supported (conditions cannot be "
                                     "evaluated); " + S),
        (Call("ROUND", (Number(1.0),)), "ROUND needs exactly 2 arguments, as in ROUND(B5,2), "
                                        "but got 1"),
        (Call("ABS", ()), "ABS needs exactly 1 argument, as in ABS(B5), but got 0"),
        (RangeRef(None, "B2", "B4"), "the range B2:B4 can only be used inside SUM, MIN, MAX, "
                                     "AVERAGE or PRODUCT"),
    ]
    for node, expected in cases:
        with pytest.raises(FormulaError) as info:
            evaluate(node, resolver)
        assert str(info.value) == expected, node
        assert info.value.formula == to_text(node)
    with pytest.raises(FormulaError) as info:
        to_text("x")
    assert str(info.value) == "cannot write 'x' as a formula; it is not part of a parsed formula"


# -- arrays: one value per draw ---------------------------------------------------------------

class Draws:
    """Names whose values are arrays, as Monte Carlo gives them."""

    def __init__(self, **values):
        self.values = {k: np.asarray(v, dtype=float) if isinstance(v, list) else v
                       for k, v in values.items()}

    def name(self, name):
        return self.values[name]


def draws(text: str, **values):
    result = evaluate(parse(text), Draws(**values))
    assert isinstance(result, np.ndarray)
    return result


def same(found, expected) -> bool:
    return np.array_equal(found, np.asarray(expected, dtype=float), equal_nan=True)


NAN = float("nan")


@pytest.mark.parametrize("text,values,expected", [
    ("=A/B", {"A": [1, 2, 3], "B": [2, 0, 4]}, [0.5, NAN, 0.75]),
    ("=A/2", {"A": [1, 2, 3]}, [0.5, 1, 1.5]),
    ("=6/B", {"B": [2, 0, 4]}, [3, NAN, 1.5]),
    ("=6/B", {"B": [-3, 0.5]}, [-2, 12]),
    ("=A^B", {"A": [2, 0, -8, 0, -2, 0, 4], "B": [3, 0, 1 / 3, -1, 2, 2, -0.5]},
     [8, NAN, NAN, NAN, 4, 0, 0.5]),
    ("=A^2", {"A": [-3, 0, 1.5]}, [9, 0, 2.25]),
    ("=A^0.5", {"A": [0, 0.25, -0.25]}, [0, 0.5, NAN]),
    ("=2^B", {"B": [-1, 0, 3]}, [0.5, 1, 8]),
    ("=A*B+A-B", {"A": [1, 2], "B": [3, 4]}, [1, 6]),
    ("=-A%", {"A": [50, -10]}, [-0.5, 0.1]),
    ("=ABS(A)", {"A": [-1.5, 2]}, [1.5, 2]),
    ("=ROUND(A,1)", {"A": [1.25, 2.35, -1.25, NAN, math.inf]}, [1.3, 2.4, -1.3, NAN, math.inf]),
    ("=ROUND(1.2345,D)", {"D": [0, 1, 3, NAN]}, [1, 1.2, 1.235, 1.2345]),
    ("=ROUNDUP(A,0)", {"A": [1.1, -1.1]}, [2, -2]),
    ("=ROUNDDOWN(A,0)", {"A": [1.9, -1.9]}, [1, -1]),
    ("=SUM(A,1,B)", {"A": [1, 2], "B": [10, 20]}, [12, 23]),
    ("=MIN(A,2,B)", {"A": [1, 5], "B": [3, 4]}, [1, 2]),
    ("=MIN(A,B)", {"A": [1, 5, 0], "B": [3, 4, 0]}, [1, 4, 0]),
    ("=MAX(A,2,B)", {"A": [1, 5], "B": [3, 4]}, [3, 5]),
    ("=MAX(A,B)", {"A": [1, 5], "B": [3, 4]}, [3, 5]),
    ("=PRODUCT(A,2,B)", {"A": [1, 5], "B": [3, 4]}, [6, 40]),
    ("=AVERAGE(A,2,B)", {"A": [1, 5], "B": [3, 4]}, [2, 11 / 3]),
])
def test_arrays_element_by_element(text, values, expected):
    assert same(draws(text, **values), expected)


def test_no_value_in_an_array_is_nan_without_a_warning():
    # numpy would warn "invalid value encountered in power" and "divide by zero"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert same(draws("=A^B", A=[-8, 0, 4], B=[0.5, -1, 0.5]), [NAN, NAN, 2])
        assert same(draws("=A/B", A=[1, 1], B=[0, 4]), [NAN, 0.25])


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_a_scalar_result_that_overflows_while_names_are_arrays_elsewhere():
    # Only the array result is exempt from the overflow check: each element is checked
    # where it is used.
    assert same(draws("=A*1e308*10", A=[1.0, 0.0]), [math.inf, 0])


# -- walking and printing ---------------------------------------------------------------------

def test_references_in_order_with_repeats():
    tree = parse("=-A*SUM(B2:B4,Blad!C1)+A%+ABS(b)")
    assert references(tree) == (Name("A"), RangeRef(None, "B2", "B4"), Ref("Blad", "C1"),
                                Name("A"), Name("b"))
    assert name_keys(tree) == frozenset({"a", "b"})
    assert name_keys(parse("=5")) == frozenset()
    assert name_keys(Number(5.0)) == frozenset()


@pytest.mark.parametrize("text,expected", [
    ("=(1+2)*3", "(1+2)*3"), ("=1-(2-3)", "1-(2-3)"), ("=(1-2)-3", "1-2-3"),
    ("=2^(3^2)", "2^(3^2)"), ("=(2^3)^2", "2^3^2"), ("=(-2)^2", "-2^2"),
    ("=-(1+2)", "-(1+2)"), ("=(1+2)%", "(1+2)%"), ("=-5%", "-5%"), ("=(-5)%", "-5%"),
    ("=1*(2/3)", "1*(2/3)"), ("=(1*2)/3", "1*2/3"), ("=1/(2*3)", "1/(2*3)"),
    ("=1+2*3", "1+2*3"), ("=(1+2)+(3+4)", "1+2+(3+4)"),
    ("=1e15", "1000000000000000.0"), ("=1e14", "100000000000000"), ("=0.5", "0.5"),
    ("=Abc1!B5", "'Abc1'!B5"), ("=Blad1!B5", "Blad1!B5"), ("='Blad 1'!B5", "'Blad 1'!B5"),
    ("='It''s'!B5", "'It''s'!B5"),
    ("=_x!B5", "_x!B5"), ("='1Blad'!B5", "'1Blad'!B5"), ("=Bl.ad!B5", "Bl.ad!B5"),
    ("='Bl-ad'!B5", "'Bl-ad'!B5"), ("=SUM(Blad!B2:B4,1)", "SUM(Blad!B2:B4,1)"),
])
def test_to_text(text, expected):
    assert to_text(parse(text)) == expected
    assert parse(to_text(parse(text))) == parse(text)


def test_to_text_of_a_negative_number_node():
    assert to_text(Binary("^", Number(-2.0), Number(2.0))) == "-2^2"
    assert to_text(Binary("-", Number(1.0), Number(-2.0))) == "1--2"
