"""Regenerate the generated parts of the docs: the metric registry in docs/metrics.md,
the command reference in docs/cli.md and the NICE tables in docs/nice.md.

Run: python tools/make_docs.py   (tests/test_metric_docs.py, tests/cli/test_docs_cli.py
and tests/test_nice.py fail when they are stale)
"""

from pathlib import Path

from tincheck import nice
from tincheck.cli import reference
from tincheck.metrics import docs

ROOT = Path(__file__).resolve().parents[1]
GENERATED = {"metrics.md": docs.splice, "cli.md": reference.splice, "nice.md": nice.splice}


def main() -> None:
    for name, splice in GENERATED.items():
        path = ROOT / "docs" / name
        path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
