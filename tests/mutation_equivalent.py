"""The surviving mutants of `make mutate` that cannot change what the code does, each with why.

mutmut numbers the mutants of a function in order, so a change to a function renumbers its
mutants: `tests/mutation_score.py` says where a name listed here was killed or is no longer
made, and this list is then checked again against `mutmut show NAME`.
"""

from __future__ import annotations

# why -> the mutants (without the "sroi_excel." prefix)
EQUIVALENT: dict[str, list[str]] = {
    # -- formula.py ---------------------------------------------------------------------------
    "a token's position that nothing reads (only an opening bracket's start, a word's end and "
    "a quoted sheet's end are read)": [
        *(f"formula.x__tokenize__mutmut_{k}" for k in (
            41, 42, 54, 55, 65, 66, 100, 101, 111, 112, 119, 120, 127, 153, 154, 161, 162,
            188, 193, 194, 201, 202, 213, 214, 218, 219)),
        *(f"formula.x__quoted_sheet__mutmut_{k}" for k in (
            21, 22, 59, 60, 67, 68, 80, 81, 88, 89, 99, 100, 107, 108, 112, 113, 122, 123,
            126)),
    ],
    "the text of the END token, which nothing reads": [
        "formula.x__tokenize__mutmut_217", "formula.x__tokenize__mutmut_226"],
    "'XX' added to a set of characters: X is a letter, accepted (or handled) before": [
        "formula.x__tokenize__mutmut_76", "formula.x__tokenize__mutmut_149",
        "formula.x__tokenize__mutmut_167", "formula.x__is_word_char__mutmut_4",
        "formula.x__is_name__mutmut_6", "formula.x__is_name__mutmut_13",
        "formula.x__sheet_prefix__mutmut_14"],
    "the closing quote is looked for from the character after the opening one, so it is "
    "found at 1 or later, or not at all (-1)": [
        "formula.x__quoted_sheet__mutmut_13", "formula.x__quoted_sheet__mutmut_14"],
    "tokens after a bad quoted sheet name: the parser stops at the error before any of them": [
        "formula.x__tokenize__mutmut_145", "formula.x__tokenize__mutmut_146"],
    "the in_brackets argument of _Parser.unexpected, which it does not read": [
        "formula.xǁ_Parserǁcall__mutmut_44", "formula.xǁ_Parserǁcall__mutmut_49",
        "formula.xǁ_Parserǁexpect_end__mutmut_6", "formula.xǁ_Parserǁexpect_end__mutmut_9",
        "formula.xǁ_Parserǁprimary__mutmut_41", "formula.xǁ_Parserǁprimary__mutmut_44"],
    "an empty formula is said by parse before the parser starts, and by the parser in the "
    "same words without that check": [
        "formula.x_parse__mutmut_17", "formula.x_parse__mutmut_18",
        *(f"formula.xǁ_Parserǁprimary__mutmut_{k}" for k in (53, 54, 55, 56))],
    "a lowest precedence of 1 instead of 0: every operator's precedence is 1 or more": [
        "formula.x_parse__mutmut_33", "formula.xǁ_Parserǁcall__mutmut_28",
        "formula.xǁ_Parserǁprimary__mutmut_33"],
    "where the parser goes on after an empty call: every function needs an argument, so the "
    "call is refused right after": [
        "formula.xǁ_Parserǁcall__mutmut_13", "formula.xǁ_Parserǁcall__mutmut_14",
        "formula.xǁ_Parserǁcall__mutmut_15"],
    "the parser never looks past the END token, so the bound on the look-ahead never "
    "binds": ["formula.xǁ_Parserǁpeek__mutmut_8"],
    "a case an earlier branch already took (0^0; a base of 0)": [
        "formula.x__power__mutmut_9", "formula.x__power__mutmut_15"],
    "ROUND's decimal steps: below -400 digits every float rounds to 0 or to a number too "
    "large either way; rounding to the exponent a number already has changes nothing; "
    "Context.plus under half-up never gives -0, so + 0.0 and - 0.0 are alike; quantize "
    "keeps at most 16 digits, within any context's precision; scaleb of 1 is exact; quantize "
    "reads only the exponent of its argument": [
        *(f"formula.x__round__mutmut_{k}" for k in (17, 23, 25, 31, 34, 36, 38, 40))],
    "the precedence of a negative number as text: 5 and 6 are alike, as no operand needs "
    "more than 5": [
        "formula.x__text__mutmut_31", "formula.x__text__mutmut_32",
        "formula.x__text__mutmut_34"],
    "a shortcut: the general path gives the same empty set of names for a number": [
        "formula.x_name_keys__mutmut_1"],
    "columns counted in base 27 keep their order, and a range compares only order": [
        "formula.x__coords__mutmut_14"],
    "the formula text of an error in evaluation: evaluate fills it in where it is empty, "
    "and '' and None are both empty": ["formula.x__call__mutmut_74"],
    "numpy computes in float when one operand is float, and the other is made float": [
        *(f"formula.x__array_apply__mutmut_{k}" for k in (3, 5, 7, 9))],
    "the divisor put in where it is 0: those elements are NaN in the result whatever it "
    "is": [*(f"formula.x__array_apply__mutmut_{k}" for k in (24, 31, 32))],
    "an operator or node the parser never makes: evaluate writes the node as text for the "
    "message, and that fails first (to_text knows the same operators and nodes)": [
        "formula.x__apply__mutmut_34", "formula.x__array_apply__mutmut_57",
        "formula.x__eval__mutmut_77"],
    # -- core.py ------------------------------------------------------------------------------
    "(1 + rate) ** -0 is 1.0, as year 0 gives without the power": [
        "core.x_discount_factor__mutmut_4"],
    "a shortcut for plain numbers: the general path gives the same float": [
        "core.x_evaluate_amount__mutmut_4"],
    "float() of what is already a float": ["core.x_evaluate_amount__mutmut_21"],
    "_at is never called without an amount": ["core.x__at__mutmut_3"],
    "the amount is used only where one point computes alone although its array element did "
    "not, which evaluate_amount never meets (each point without a value is an error "
    "alone)": ["core.x_evaluate_amount__mutmut_26"],
    "years beyond the horizon are dropped by the filter that follows": [
        "core.x_input_years__mutmut_14", "core.x_outcome_years__mutmut_9"],
    "the name is only for the message about an unknown assumption, and these keys are the "
    "assumptions' own": ["core.xǁFrameǁ__init____mutmut_37"],
    "a drop-off factor for an age no year reaches (ages stop at the duration)": [
        "core.xǁFrameǁ_shares__mutmut_10"],
    "what is remembered, not what is computed: without it the same value is computed "
    "again": [
        *(f"core.xǁFrameǁpresent_value__mutmut_{k}" for k in (2, 4, 5, 6, 18, 19)),
        *(f"core.xǁValuesǁname__mutmut_{k}" for k in (2, 3, 28))],
    "without fixed values, leaving none out gives the same tuple": [
        "core.xǁFrameǁyears__mutmut_10"],
    # -- engine.py ----------------------------------------------------------------------------
    "zip of a table's records and its rows: always the same length": [
        *(f"engine.x__expand__mutmut_{k}" for k in (36, 39, 40))],
    "one more year at the end of a list that is read only up to the last year": [
        "engine.x__inputs__mutmut_11", "engine.x__outcomes__mutmut_16"],
    "float('NAN') is NaN as well": ["engine.x__outcomes__mutmut_124"],
    "the docstring of a DataFrame property": ["engine.x__table_frame__mutmut_1"],
    # -- reader_cells.py ----------------------------------------------------------------------
    "how many close names difflib returns, and its default cutoff (0.6): only the closest is "
    "used": [*(f"reader_cells.x_did_you_mean__mutmut_{k}" for k in (11, 12, 13, 24, 25, 27))],
    "what is remembered, not what is read: without it the same number or word is read "
    "again": [
        "reader_cells.xǁCellReaderǁamount__mutmut_14",
        "reader_cells.xǁCellReaderǁamount__mutmut_15",
        "reader_cells.xǁCellReaderǁyesno__mutmut_2", "reader_cells.xǁCellReaderǁyesno__mutmut_3"],
    "None or '' as the default of a missing text: both become ''": [
        "reader_cells.xǁCellReaderǁamount__mutmut_42"],
    "numbers above 1 up to 100 are refused by the check before": [
        "reader_cells.xǁCellReaderǁpercent__mutmut_30"],
    "a first year is 1900 or later, so 1000 is outside the analysis read either way, with "
    "the same message": [
        "reader_cells.xǁCellReaderǁyear__mutmut_11",
        "reader_cells.xǁCellReaderǁyear__mutmut_12"],
}


def equivalent() -> dict[str, str]:
    """Each equivalent mutant's full name and why it is equivalent."""
    return {f"sroi_excel.{name}": why for why, names in EQUIVALENT.items() for name in names}
