"""Time the uncertainty analysis on a large model: prints measured times, asserts nothing.

    python bench/bench_montecarlo.py [--outcomes 1000] [--years 10] [--draws 10000]

The model: OUTCOMES outcomes over YEARS years, each recurring every year and lasting 3 years
with drop-off, quantity and proxy formulas over 20 assumptions that all have low and high
(so Monte Carlo draws all of them), a discount rate, and inputs in every year.
"""

from __future__ import annotations

import argparse
import time

from sroi_excel import formula, uncertainty
from sroi_excel.engine import compute
from sroi_excel.model import (
    Amount,
    Assumption,
    InputItem,
    Model,
    Outcome,
    Settings,
    Stakeholder,
)

N_ASSUMPTIONS = 20


def big_model(outcomes: int, years: int) -> Model:
    def f(text: str) -> Amount:
        return Amount(formula.parse(text), text)

    distributions = ("triangular", "uniform", "pert")
    assumptions = tuple(
        Assumption(f"A_{i}", Amount.of(1.0 + i / 10), low=0.5 + i / 20, high=2.0 + i / 10,
                   distribution=distributions[i % 3]) for i in range(N_ASSUMPTIONS))
    rows = tuple(
        Outcome(f"S{i % 5}", f"outcome {i}", f(f"=A_{i % N_ASSUMPTIONS}*10"),
                f(f"=A_{(i * 7 + 3) % N_ASSUMPTIONS}*100"), deadweight=Amount.of(0.2),
                attribution=Amount.of(0.1), dropoff=Amount.of(0.25), duration=3,
                recurring=True)
        for i in range(outcomes))
    inputs = (InputItem("S0", "start", "money", amount=Amount.of(2e6)),
              InputItem("S1", "yearly", "money", amount=f("=A_1*50000"), year=1,
                        recurring=True))
    return Model(Settings(years=years, discount_rate=0.0225),
                 tuple(Stakeholder(f"S{k}") for k in range(5)), assumptions, inputs, rows)


def timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"{label:<58} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outcomes", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()
    m = big_model(args.outcomes, args.years)
    print(f"{args.outcomes:,} outcomes x {args.years} years, {N_ASSUMPTIONS} drawn assumptions, "
          f"{args.draws:,} draws")
    r = timed("engine.compute (once, for comparison)", lambda: compute(m))
    mc = timed(f"Monte Carlo, {args.draws:,} draws",
               lambda: uncertainty.monte_carlo(m, draws=args.draws, seed=1))
    timed("same again (same seed)", lambda: uncertainty.monte_carlo(m, draws=args.draws, seed=1))
    u = timed("everything fill does (scenarios, tornado, switching, MC)",
              lambda: uncertainty.analyse(m, draws=args.draws, seed=1))
    print(f"base ratio {r.headline.ratio:.4f}; Monte Carlo mean {mc.ratio.mean:.4f}, "
          f"P5 {mc.ratio.p5:.4f}, P95 {mc.ratio.p95:.4f}, P(ratio > 1) {mc.p_ratio_above_1:.3f}")
    print(f"{len(u.sensitivity):,} sensitivity rows, {len(u.switching):,} switching values")


if __name__ == "__main__":
    main()
