"""Client leaflets from a service's own outcomes: :func:`leaflet` (``tincheck leaflet``).

Audits the data (or takes an audit, or its ``report.json``), renders one "What to
expect" page per treatment offered, and per problem where the data allow
(:mod:`tincheck.report.leaflet`, from the disclosure-controlled document only), writes
them with the ``report.json`` they come from and an index, and prints each to an A4
PDF with the system's headless Chromium (:mod:`tincheck.printing`). Without Chromium
the HTML pages are written alone and the result (and the index page) says so.

The output folder is checked before any work (:func:`check_outputs`); every file is
written whole (:mod:`tincheck.outputs`). A setting that cannot be used is a
:class:`~tincheck.errors.SettingError`, a report.json that cannot be made into
leaflets a :class:`~tincheck.report.leaflet.LeafletError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import printing
from .auditing import Audit, audit
from .errors import SettingError
from .ingest import Dataset
from .metrics.needs import sentence
from .metrics.offered import ANY
from .outputs import check_folder, write_text
from .report import leaflet_text
from .report.leaflet import MIN_PEOPLE, LeafletError, leaflets

NO_CHROMIUM = leaflet_text.NO_PDF


@dataclass(frozen=True)
class WrittenLeaflet:
    """One leaflet written: its key, treatment and problem, people offered it (as
    published), title, HTML file and PDF file (None when not printed)."""

    key: str
    therapy: str
    problem: str
    people: int
    title: str
    html: Path
    pdf: Path | None


@dataclass(frozen=True)
class LeafletFiles:
    """What :func:`leaflet` wrote: the leaflets, the index page, the report.json they
    come from, the treatments offered to too few people for a page, why there are
    no PDFs (``pdf_note``, None when every page was printed or none was asked for), and
    why there are no figures by treatment at all (``not_computed``, None when there
    are: see :class:`~tincheck.report.leaflet.Leaflets`), and what the audit left out
    for absent optional data (``notes``: one sentence per ``not_computed`` entry of
    report.json, as ``tincheck audit`` prints them)."""

    folder: Path
    leaflets: tuple[WrittenLeaflet, ...]
    index: Path
    report_json: Path
    too_few: tuple[tuple[str, int | None], ...]
    pdf_note: str | None
    not_computed: str | None = None
    notes: tuple[str, ...] = ()


def check_outputs(out: str | Path, option: str | None = None) -> Path:
    """Check, before any work, that ``out`` can be the leaflets' folder (and its
    ``index.html`` and ``report.json`` written); raises
    :class:`~tincheck.errors.OutputError`, naming ``option`` when given (``--out``)."""
    return check_folder(out, ("index.html", "report.json"), option=option)


def check_settings(min_people: int, treatments) -> None:
    """Refuse, before any work, a ``min_people`` under 1 or an unknown treatment
    (:class:`~tincheck.errors.SettingError`)."""
    if min_people < 1:
        raise SettingError("min_people", min_people, "expected 1 or more (counts under 5 "
                           "are suppressed whatever it is)")
    known = {*leaflet_text.TREATMENTS, ANY}
    unknown = sorted(set(treatments or ()) - known)
    if unknown:
        raise SettingError("treatment", ", ".join(unknown), "unknown treatment: expected "
                           f"therapy types such as {', '.join(sorted(known))}")


def _document(data, **audit_options) -> dict:
    """The disclosure-controlled report.json document of ``data``."""
    if isinstance(data, dict):
        return data
    if isinstance(data, Audit):
        return data.to_json(disclosure_control=True)
    if not isinstance(data, Dataset) and Path(data).is_file():
        path = Path(data)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LeafletError(f"{path}: not a report.json written by tincheck audit "
                               f"({exc})") from None
    # a leaflet needs no imputed outcomes; disclosure control is always on
    return audit(data, disclosure_control=True, imputations=0, **audit_options).to_json()


def leaflet(data, out: str | Path = "leaflet", *, min_people: int = MIN_PEOPLE,
            pdf: bool = True, chromium: str | Path | None = None,
            treatments: list[str] | tuple[str, ...] | None = None,
            period: str | None = None, data_end: str | None = None,
            assessors: str = "independent_blind", usual_self_threshold: float = 90.0,
            engine: str = "duckdb", key_file=None, memory_limit: str | None = None,
            progress: Callable[[str], None] | None = None) -> LeafletFiles:
    """Write "What to expect" leaflets for a service into ``out``.

    Parameters
    ----------
    data : a data folder, a :class:`~tincheck.ingest.Dataset`, an
        :class:`~tincheck.Audit`, a ``report.json`` file written by ``tincheck audit``
        (with disclosure control on), or that document as a dict.
    out : folder for ``<treatment>[-<problem>].html`` and ``.pdf``, ``index.html`` and
        ``report.json`` (the document every number on the pages comes from).
    min_people : no figure that may rest on fewer people than this (default 30); counts
        under 5 are suppressed whatever it is.
    pdf : print each page to an A4 PDF with headless Chromium (``chromium``, default
        found by :func:`tincheck.printing.find_chromium`); without one, HTML only.
    treatments : only these therapy types (e.g. ``["gsh_book", "cbt"]``; ``any`` is the
        page about the service as a whole, whatever people were offered).
    period, data_end, assessors, usual_self_threshold, engine, key_file,
    memory_limit : as :func:`tincheck.audit` (used when ``data`` is data).

    The pages come from the audit's ``report.json`` under disclosure control:
    counts rounded to 5, counts under 5 suppressed, and no figure shown that may rest on
    fewer than ``min_people`` people.

    >>> import tempfile, tincheck
    >>> made = tincheck.leaflet(tincheck.example_path(), tempfile.mkdtemp(), pdf=False)
    >>> len(made.leaflets), made.too_few[0]  # 30 referrals: too few for a page
    (0, ('any', 30))
    """
    step = progress or (lambda _: None)
    check_settings(min_people, treatments)
    out = check_outputs(out)
    doc = _document(data, period=period, data_end=data_end, assessors=assessors,
                    usual_self_threshold=usual_self_threshold, engine=engine,
                    key_file=key_file, memory_limit=memory_limit, progress=progress)
    step("writing the leaflets")
    made = leaflets(doc, min_people)
    if treatments:
        made = made.only(treatments)
    pages = made.pages
    report_json = write_text(out / "report.json", json.dumps(doc, indent=2, allow_nan=False))
    htmls = {page.key: write_text(out / f"{page.key}.html", page.html) for page in pages}
    browser = printing.find_chromium(chromium) if pdf and pages else None
    note = NO_CHROMIUM if pdf and pages and browser is None else None
    pdfs: dict[str, Path] = {}
    if browser is not None:
        for i, page in enumerate(pages, 1):
            step(f"printing {page.key}.pdf ({i} of {len(pages)})")
            pdfs[page.key] = printing.print_pdf(htmls[page.key], out / f"{page.key}.pdf",
                                                browser)
    index = write_text(out / "index.html",
                       made.index_html({k: p.name for k, p in pdfs.items()}, note))
    written = tuple(WrittenLeaflet(p.key, p.therapy, p.problem, p.people, p.title,
                                   htmls[p.key], pdfs.get(p.key)) for p in pages)
    notes = tuple(sentence(entry) for entry in doc.get("not_computed") or ())
    return LeafletFiles(out, written, index, report_json, made.too_few, note,
                        made.not_computed, notes)
