"""Regenerate the generated parts of the docs (the metric registry in docs/metrics.md).

Run: python tools/make_docs.py   (tests/test_metric_docs.py fails when they are stale)
"""

from pathlib import Path

from tincheck.metrics.docs import splice

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    path = ROOT / "docs" / "metrics.md"
    path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
