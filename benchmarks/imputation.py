"""Time impute_pmm on a service-sized table.

    .venv/bin/python benchmarks/imputation.py [rows]

Two score columns with 40% missing, predicted by a score, age, sex, 30 services and
8 problem descriptors (41 design columns); m = 20, 10 iterations, as the audit runs it.
"""

import sys
import time

import numpy as np
import pandas as pd

from tincheck.stats.imputation import impute_pmm


def main(n: int) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "first": rng.normal(size=n), "age": rng.normal(40, 10, n),
        "sex": rng.choice(["F", "M"], n), "service": rng.choice([f"s{i}" for i in range(30)], n),
        "descriptor": rng.choice(list("ABCDEFGH"), n)})
    for column in ("last_phq9", "last_gad7"):
        frame[column] = frame["first"] + rng.normal(size=n)
        frame.loc[rng.random(n) < 0.4, column] = np.nan
    start = time.perf_counter()
    impute_pmm(frame, ["last_phq9", "last_gad7"], ["first", "age", "sex", "service",
                                                   "descriptor"], m=20, seed=1)
    print(f"{n:,} rows, 2 columns, m = 20, 10 iterations: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
