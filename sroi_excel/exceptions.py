"""Every error a user can cause, in one place.

Each exception also inherits the built-in it resembles, so callers may catch either
(``except ValueError`` works as well as ``except SroiError``). Messages are plain sentences
that name the sheet, the cell and the value where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .schema import ASSUMPTIONS, INPUT_SHEETS

# The examples in formula messages (sroi_excel.formula) name the Dutch assumptions sheet; a
# problem on an English sheet names the English one.
_EXAMPLES = tuple((f"{before}{ASSUMPTIONS.name.nl}!B", f"{before}{ASSUMPTIONS.name.en}!B")
                  for before in ("such as B5 or ", "as in "))
_ENGLISH_SHEETS = frozenset(sheet.name.en for sheet in INPUT_SHEETS)


class SroiError(Exception):
    """Base class for every error sroi-excel raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One finding of check: where it is, how bad it is, and a sentence saying what to do."""

    sheet: str
    cell: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __post_init__(self) -> None:
        if self.sheet in _ENGLISH_SHEETS and ASSUMPTIONS.name.nl in self.message:
            message = self.message
            for dutch, english in _EXAMPLES:
                message = message.replace(dutch, english)
            object.__setattr__(self, "message", message)

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class Graded:
    """The ``errors`` and ``warnings`` among a record's ``problems``."""

    problems: tuple[Problem, ...] | list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class WorkbookError(SroiError, ValueError):
    """The workbook's content is wrong: a bad cell, a missing sheet or header."""

    def __init__(self, message: str, sheet: str = "", cell: str = ""):
        self.problem = Problem(sheet, cell, message)
        super().__init__(str(self.problem))


class ValidationError(SroiError, ValueError):
    """Check found one or more errors; ``problems`` lists all of them, warnings included."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} error(s) in the workbook"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in errors))


class FormulaError(SroiError, ValueError):
    """A formula is outside the arithmetic subset the engine evaluates, or cannot be computed."""

    def __init__(self, message: str, formula: str = ""):
        self.formula = formula
        super().__init__(message)


class PriceIndexError(SroiError, ValueError):
    """A reference price cannot be brought to the price year (an index year or the year is
    missing); the caller adds the cell that named the price."""


class FileFormatError(SroiError, ValueError):
    """The file is not an .xlsx workbook we can read (wrong format, damaged, hostile)."""

    exit_code = 3


class UnsafeFileError(FileFormatError):
    """The file tries something a workbook should not (zip bomb, path escape, XML entities)."""


class WriteRefusedError(SroiError, PermissionError):
    """The tool will not write: the file is open, read-only, changed, or the disk refused."""

    exit_code = 4


class ScenarioError(SroiError, KeyError):
    """A scenario named on the command line or in the settings does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FileMissingError(SroiError, FileNotFoundError):
    """The workbook named on the command line does not exist."""

    exit_code = 3
