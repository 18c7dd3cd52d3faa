"""Generate, or check, the lme4 reference values the therapist-effect tests compare with.

    python tools/lme4_reference.py            # rewrite tests/stats/lme4/reference.json
    python tools/lme4_reference.py --check    # regenerate elsewhere, compare, report
    python tools/lme4_reference.py --data     # rewrite the fixed data set first

Runs ``Rscript tools/lme4_reference.R`` (R with lme4; on Debian ``apt-get install
r-base-core r-cran-lme4``) on the fixed data set ``tests/stats/lme4/therapists.csv``
(40 therapists, 966 clients, made once by :func:`make_data` with a fixed seed). The
stored JSON is what ``tests/stats/test_lme4_reference.py`` compares tincheck with; the
same test regenerates it with R when R is installed (``TINCHECK_REQUIRE_R=1`` makes a
missing R a failure).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "lme4_reference.R"
STORED = REPO / "tests" / "stats" / "lme4"
DATA = STORED / "therapists.csv"
REFERENCE = STORED / "reference.json"
TOLERANCE = 1e-6  # R against itself; tincheck against R is looser (the test says why)


class RUnavailable(RuntimeError):
    """Rscript or lme4 is missing."""


def rscript() -> str:
    """The path of Rscript, or RUnavailable saying what to install."""
    path = shutil.which("Rscript")
    if path is None:
        raise RUnavailable("Rscript not found (apt-get install r-base-core r-cran-lme4)")
    probe = subprocess.run([path, "-e", "library(lme4)"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise RUnavailable("R is installed but lme4 is not (apt-get install r-cran-lme4): "
                           + probe.stderr.strip()[-300:])
    return path


def make_data(path: Path = DATA, seed: int = 20261206) -> Path:
    """The fixed data set: 40 therapists with 5 to 45 clients each, a binary outcome
    from a logistic model and a continuous one from a linear model, both with a
    therapist random intercept and three covariates (a centred severity score and two
    indicators of a three-level factor)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 46, 40)
    g = np.repeat(np.arange(1, 41), sizes)
    n = len(g)
    x1 = rng.normal(0, 4, n).round(1)
    level = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    x2, x3 = (level == 1).astype(int), (level == 2).astype(int)
    u = rng.normal(0, 0.5, 40)[g - 1]
    p = 1 / (1 + np.exp(-(-0.2 + 0.08 * x1 - 0.3 * x2 + 0.4 * x3 + u)))
    y = (rng.random(n) < p).astype(int)
    change = (6 + 0.3 * x1 - 1.0 * x2 + 0.5 * x3 + rng.normal(0, 1.2, 40)[g - 1]
              + rng.normal(0, 5, n)).round(0)
    lines = ["g,y,change,x1,x2,x3"] + [
        f"T{a:02d},{b},{c:.0f},{d:.1f},{e},{f}" for a, b, c, d, e, f in
        zip(g, y, change, x1, x2, x3)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def generate(out: Path) -> Path:
    """Run the R script on the fixed data set, writing ``out``; return it."""
    done = subprocess.run([rscript(), str(SCRIPT), str(DATA), str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} failed:\n{done.stderr[-2000:]}")
    json.loads(Path(out).read_text(encoding="utf-8"))
    return Path(out)


def differences(old, new, path: str = "", tolerance: float = TOLERANCE) -> list[str]:
    """Every place where two parsed JSON documents differ beyond tolerance (relative
    above 1, absolute below); version strings are not compared."""
    if isinstance(old, dict):
        out = [f"{path}/{k}: missing" for k in old if k not in new]
        for key in old:
            if key in new and key not in ("r", "lme4"):
                out += differences(old[key], new[key], f"{path}/{key}", tolerance)
        return out
    if isinstance(old, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} values stored, {len(new)} now"]
        return [d for i, (a, b) in enumerate(zip(old, new))
                for d in differences(a, b, f"{path}[{i}]", tolerance)]
    if isinstance(old, str):
        return [] if old == new else [f"{path}: {old!r} stored, {new!r} now"]
    if old is None or new is None:
        return [] if old is new else [f"{path}: {old!r} stored, {new!r} now"]
    return [] if abs(old - new) <= tolerance * max(1.0, abs(old)) else [
        f"{path}: {old!r} stored, {new!r} now"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="generate into a temporary file and compare with the stored")
    parser.add_argument("--data", action="store_true", help="rewrite the data set first")
    args = parser.parse_args(argv)
    try:
        if args.data:
            make_data()
        if args.check:
            with tempfile.TemporaryDirectory() as fresh:
                found = differences(json.loads(REFERENCE.read_text(encoding="utf-8")),
                                    json.loads(generate(Path(fresh) / "r.json").read_text(
                                        encoding="utf-8")))
            for line in found[:50]:
                print(line)
            print(f"{len(found)} difference(s) beyond {TOLERANCE:g}")
            return 1 if found else 0
        generate(REFERENCE)
    except RUnavailable as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {REFERENCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
