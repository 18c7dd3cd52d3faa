"""Chunked, deterministic output: Parquet or CSV, canonical or NHS-style.

Each table is written chunk by chunk (one Parquet row group, or one block of CSV rows,
per chunk), so memory holds one chunk at a time. Files are first written under a
temporary name and renamed when every table is complete; ``manifest.json`` is written
last. Nothing in the files depends on the clock: the same seed and parameters give the
same bytes (with the same versions of tincheck and pyarrow).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import codes
from ..ingest.dataset import MANIFEST
from ..ingest.sources import table_of
from ..safecsv import CsvWriter
from ..instruments import INSTRUMENTS
from ..schema import TABLES
from .parameters import SynthConfigError
from .tables import arrow_schema

FORMATS = ("parquet", "csv")
PARQUET_OPTIONS = dict(compression="zstd", compression_level=1, version="2.6",
                       data_page_version="1.0")
PARTIAL = ".partial"


def prepare_folder(out: Path, overwrite: bool) -> None:
    """Create ``out``; refuse to mix with table files already there unless overwriting."""
    if out.exists() and not out.is_dir():
        raise SynthConfigError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    existing = sorted(p.name for p in out.iterdir() if p.is_file() and (
        (table_of(p) or ("", ""))[0] in TABLES or p.name == MANIFEST
        or p.name.endswith(PARTIAL)))
    if existing and not overwrite:
        raise SynthConfigError(
            f"{out} already holds {', '.join(existing[:4])}"
            f"{' …' if len(existing) > 4 else ''}; choose an empty folder or pass "
            "--overwrite (overwrite=True) to replace them")
    for name in existing:
        (out / name).unlink()


def nhs_style(name: str, table: pa.Table) -> pa.Table:
    """The same table as an NHS-style extract: NHS column names and codes, DD/MM/YYYY
    dates, ICD-10 codes without dots, SNOMED CT instrument codes, Y/N flags."""
    columns, names = [], []
    for column in TABLES[name].columns:
        values = table.column(column.name)
        if column.type == "date":
            values = pc.strftime(values.cast(pa.timestamp("s")), format="%d/%m/%Y")
        elif column.type == "icd10":
            values = pc.replace_substring(values, ".", "")
        elif column.type == "bool":
            values = pc.if_else(values, "Y", "N")
        elif column.codes == "instrument" and column.aliases:
            values = _recode(values, {i.code: i.snomed[0] for i in INSTRUMENTS.values()
                                      if i.snomed})
        elif column.type == "code" and column.aliases:
            values = _recode(values, {c.value: c.nhs[0] for c in codes.CODE_LISTS[column.codes]
                                      if c.nhs})
        columns.append(values)
        names.append(column.aliases[0] if column.aliases else column.name)
    return pa.table(columns, names=names)


def _recode(values, mapping: dict[str, str]):
    if not mapping:
        return values
    keys = pa.array(list(mapping), pa.string())
    position = pc.index_in(values, value_set=keys)
    recoded = pa.array(list(mapping.values()), pa.string()).take(position)
    return pc.coalesce(recoded, values)


class TableWriter:
    """Writes one table's chunks to ``<table>.<format>`` (under a temporary name)."""

    def __init__(self, folder: Path, name: str, fmt: str, nhs: bool):
        self.name, self.fmt, self.nhs = name, fmt, nhs
        self.final = folder / f"{name}.{fmt}"
        self.path = folder / f"{name}.{fmt}{PARTIAL}"
        self.rows = 0
        self._writer = None

    def write(self, table: pa.Table) -> None:
        if self.nhs:
            table = nhs_style(self.name, table)
        if self._writer is None:
            if self.fmt == "parquet":
                # Codes, dates and numbers get dictionaries and statistics; identifiers
                # (nearly all distinct) do not: it halves the writing time.
                plain = {c.name for c in TABLES[self.name].columns if c.identifier}
                plain |= {c.aliases[0] for c in TABLES[self.name].columns
                          if c.identifier and c.aliases}
                rich = [n for n in table.schema.names if n not in plain]
                self._writer = pq.ParquetWriter(self.path, table.schema, use_dictionary=rich,
                                                write_statistics=rich, **PARQUET_OPTIONS)
            else:
                # the one CSV writer of tincheck (quoting, CSV-injection defence)
                self._writer = CsvWriter(self.path, table.schema.names, eol="\n")
        if self.fmt == "parquet":
            self._writer.write_table(table, row_group_size=max(1, table.num_rows))
        else:
            self._writer.write(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is None:  # no rows at all: still write the header / schema
            empty = arrow_schema(self.name).empty_table()
            self.write(empty)
        self._writer.close()

    def finish(self) -> None:
        self.path.replace(self.final)

    def abandon(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - cleaning up after another error
                pass
        self.path.unlink(missing_ok=True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: dict) -> Path:
    """``manifest.json``: sorted keys, two-space indent, newline at the end."""
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path
