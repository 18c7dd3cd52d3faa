"""Regenerate the generated parts of the docs: the metric registry in docs/metrics.md
the command reference in docs/cli.md and the table of what absent optional data leaves
out in docs/report.md.

Run: python tools/make_docs.py   (tests/test_metric_docs.py,
tests/cli/test_docs_cli.py and tests/metrics/test_needs.py fail when they are stale)
"""

from pathlib import Path

from tincheck.cli import reference
from tincheck.metrics import docs, needs

ROOT = Path(__file__).resolve().parents[1]


def splice_needs(text: str) -> str:
    """docs/report.md with its needs table (from its header to the blank line) replaced."""
    start = text.index("| optional data absent |")
    end = text.index("\n\n", start)
    return text[:start] + needs.needs_markdown().rstrip("\n") + text[end:]


GENERATED = {"metrics.md": docs.splice, "cli.md": reference.splice, "report.md": splice_needs}


def main() -> None:
    for name, splice in GENERATED.items():
        path = ROOT / "docs" / name
        path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
