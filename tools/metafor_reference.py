"""Generate, or check, the metafor reference values the meta-analysis tests compare with.

    python tools/metafor_reference.py            # rewrite tests/stats/metafor/*.json
    python tools/metafor_reference.py --check    # regenerate elsewhere, compare, report

Runs ``Rscript tools/metafor_reference.R`` (R with metafor and metadat; on Debian
``apt-get install r-base-core r-cran-metafor``), which writes one JSON file per data
set: the data and what metafor computes from it. The stored files are what
``tests/stats/test_metafor_reference.py`` compares tincheck with; the same test module
regenerates them with R when R is installed and fails on any difference beyond
``TOLERANCE`` (``TINCHECK_REQUIRE_R=1`` makes a missing R a failure).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "metafor_reference.R"
STORED = REPO / "tests" / "stats" / "metafor"
TOLERANCE = 1e-8  # |a - b| <= TOLERANCE * max(1, |b|)


class RUnavailable(RuntimeError):
    """Rscript, metafor or metadat is missing."""


def rscript() -> str:
    """The path of Rscript, or RUnavailable saying what to install."""
    path = shutil.which("Rscript")
    if path is None:
        raise RUnavailable("Rscript not found (apt-get install r-base-core r-cran-metafor)")
    probe = subprocess.run([path, "-e", "library(metafor); library(metadat)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise RUnavailable("R is installed but metafor or metadat is not "
                           "(apt-get install r-cran-metafor): " + probe.stderr.strip()[-300:])
    return path


def generate(out_dir: Path) -> list[Path]:
    """Run the R script into ``out_dir``; return the JSON files it wrote."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([rscript(), str(SCRIPT), str(out_dir)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} failed:\n{done.stderr[-2000:]}")
    files = sorted(out_dir.glob("*.json"))
    for path in files:
        json.loads(path.read_text(encoding="utf-8"))  # every file must parse
    return files


def close(a, b, tolerance: float = TOLERANCE) -> bool:
    """Numbers within tolerance (relative above 1, absolute below); None, NaN and
    infinities only equal each other."""
    finite_a = isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a)
    finite_b = isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b)
    if finite_a and finite_b:
        return abs(a - b) <= tolerance * max(1.0, abs(b))
    return not (finite_a or finite_b)  # JSON writes NA, NaN and infinities as null


def differences(old, new, path: str = "", tolerance: float = TOLERANCE) -> list[str]:
    """Every place where two parsed JSON documents differ beyond tolerance."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = [f"{path}/{key}: only in the stored values" for key in old if key not in new]
        out += [f"{path}/{key}: only in the new values" for key in new if key not in old]
        for key in old:
            if key in new and key != "warnings":
                out += differences(old[key], new[key], f"{path}/{key}", tolerance)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} values stored, {len(new)} now"]
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += differences(a, b, f"{path}[{i}]", tolerance)
        return out
    if isinstance(old, str) or isinstance(new, str) or isinstance(old, bool):
        return [] if old == new else [f"{path}: {old!r} stored, {new!r} now"]
    return [] if close(new, old, tolerance) else [f"{path}: {old!r} stored, {new!r} now"]


def compare_directories(stored: Path, fresh: Path) -> list[str]:
    """Differences between the stored reference files and freshly generated ones."""
    out = []
    names = sorted({p.name for p in Path(stored).glob("*.json")}
                   | {p.name for p in Path(fresh).glob("*.json")})
    for name in names:
        a, b = Path(stored) / name, Path(fresh) / name
        if not a.exists() or not b.exists():
            out.append(f"{name}: {'not stored' if not a.exists() else 'not generated'}")
            continue
        out += [f"{name}{d}" for d in differences(json.loads(a.read_text(encoding="utf-8")),
                                                  json.loads(b.read_text(encoding="utf-8")))]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=STORED,
                        help="folder for the JSON files (default: the stored ones)")
    parser.add_argument("--check", action="store_true",
                        help="generate into a temporary folder and compare with --out")
    args = parser.parse_args(argv)
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as fresh:
                generate(Path(fresh))
                found = compare_directories(args.out, Path(fresh))
            for line in found[:50]:
                print(line)
            print(f"{len(found)} difference(s) beyond {TOLERANCE:g}")
            return 1 if found else 0
        files = generate(args.out)
    except RUnavailable as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
