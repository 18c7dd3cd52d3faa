"""A service's own licensed interview text, loaded from a path at run time.

Only short neutral labels ship with tincheck: the wording of SCID, MINI and DSM
criteria is copyrighted and never enters the repository. A service licensed to use an
interview may show its own prompts beside each module with a TOML file named at
``tincheck assess init --text-pack PATH``::

    intro = "Use the study's licensed interview booklet, version 2."
    [modules]
    depression = "Module A: ..."
    gad = "Module N: ..."

Keys under ``[modules]`` are the disorder codes of the data model. The text is shown
as plain text (escaped), never as HTML.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import codes
from . import AssessError

MAX_TEXT = 4000


@dataclass(frozen=True)
class TextPack:
    intro: str = ""
    modules: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=4)
def load(path: Path | None) -> TextPack:
    if path is None:
        return TextPack()
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AssessError(f"text pack {path}: cannot read it as UTF-8 TOML ({exc})") from None
    unknown = set(doc) - {"intro", "modules"}
    modules = doc.get("modules", {})
    known = codes.values("disorder")
    if unknown or not isinstance(modules, dict) or set(modules) - set(known):
        raise AssessError(f"text pack {path}: expected intro = \"...\" and a [modules] table "
                          "keyed by disorder codes (" + ", ".join(known) + ")")
    texts = {k: v for k, v in modules.items()}
    if not all(isinstance(v, str) and len(v) <= MAX_TEXT for v in
               [*texts.values(), doc.get("intro", "")]):
        raise AssessError(f"text pack {path}: every text must be a string of at most "
                          f"{MAX_TEXT} characters")
    return TextPack(doc.get("intro", ""), texts)
