"""Two versions of an analysis -> what changed, and how much of the change in the SROI ratio and
the NPV each change accounts for. Pure: two models in, a :class:`Comparison` out; no files.

- ``matching``: rows matched by what they are, not where they are, and every difference listed
  field by field (formulas compared by meaning);
- ``effects``: the models in between, computed by the engine, and each change's share of the
  change: the Shapley value up to :data:`SHAPLEY_MAX` changes, else a fixed order;
- ``changes``: the records a comparison is made of; ``texts``: its sentences in both languages.
"""

from __future__ import annotations

from ..engine import compute
from ..exceptions import WorkbookError
from ..model import Model
from .changes import KINDS, Change, Comparison, Shown, StakeholderChange, key
from .effects import SHAPLEY_MAX, attributed
from .matching import Diff

__all__ = ["KINDS", "SHAPLEY_MAX", "Change", "Comparison", "Shown", "StakeholderChange",
           "compare", "key"]


def compare(old: Model, new: Model) -> Comparison:
    """What changed from ``old`` to ``new`` and how much of the change each change accounts for.

    Raises WorkbookError (at the new version's currency cell) when the currencies differ.
    """
    if key(old.settings.currency) != key(new.settings.currency):
        at = new.settings.cell("currency")
        raise WorkbookError(
            f"the two versions are in different currencies ({old.settings.currency} in the old "
            f"one, {new.settings.currency} in the new one); a comparison would add up amounts "
            "in both, so convert one of them first",
            at.sheet if at else "", at.ref if at else "")
    return attributed(Diff(old, new), compute(old), compute(new))
