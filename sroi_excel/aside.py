"""The uncertainty analysis in a second process, while this one checks and computes.

The analysis needs only the model, and at 10,000 outcomes it takes about as long as check and
the engine together; on two cores both can run at once. Fill starts it here (see
api.ASIDE_OUTCOMES); the analysis itself stays in uncertainty.py, pure.
"""

from __future__ import annotations

import pickle

from . import forking, uncertainty
from .engine import Results
from .model import Model


class Aside:
    """``uncertainty.analyse`` in a forked process. The child sends back what the sheets show
    (``uncertainty.sent``); a caller who reads any other row has them all made in this
    process, the same rows (``uncertainty.received``).

    Forked, so the child has the model without pickling it.
    """

    def __init__(self, model: Model, scenario: str | None, draws: int | None,
                 seed: int | None) -> None:
        import tempfile

        self.model, self.scenario = model, scenario
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by result() or stop()

        def analyse() -> None:  # in the child; a failure is its exit status, see result()
            found = uncertainty.analyse(model, scenario, draws=draws, seed=seed)
            pickle.dump(uncertainty.sent(found), self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.file.flush()

        try:
            self.pid = forking.fork(analyse)
        except OSError:
            self.file.close()
            raise

    def result(self, results: Results | None = None) -> uncertainty.Uncertainty | None:
        """The child's analysis, once it has ended; None when it failed (then run the analysis
        in this process, so that any error is raised here). ``results`` as for analyse: for
        the rows made here if a caller reads more than was sent."""
        ended = forking.ended_well(self.pid)
        self.pid = 0
        try:
            if not ended:
                return None
            self.file.seek(0)
            found = pickle.load(self.file)
        finally:
            self.file.close()
        return uncertainty.received(found, lambda: uncertainty.analyse(
            self.model, self.scenario, draws=0, results=results))

    def stop(self) -> None:
        """End the child if it still runs and wait for it (nothing once result() has)."""
        if self.pid:
            forking.end(self.pid)
            self.pid = 0
        self.file.close()
