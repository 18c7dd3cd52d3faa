"""CPU time of tincheck's one CSV writer (``tincheck.safecsv``) beside Arrow's own.

Writes the tables of a synthetic service (Parquet, made once) as CSV twice, in chunks
of 50,000 rows as ``tincheck synth --format csv`` does: with ``pyarrow.csv.CSVWriter``
(quoting every string, no CSV-injection defence: how synth wrote CSV before) and with
``tincheck.safecsv.CsvWriter`` (quoting where needed, neutralising formula triggers).
Reports process CPU time (``time.process_time``, less sensitive to other work on a
shared machine than wall time), the best of ``--repeat`` runs, per writer.
The numbers quoted in docs/performance.md come from this script.

Run: python benchmarks/csv_writer.py                      # 100,000 referrals
     python benchmarks/csv_writer.py --referrals 1000000 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tincheck.safecsv import CsvWriter
from tincheck.synth import generate

CHUNK = 50_000
TABLES = ("referrals", "appointments", "measures", "interviews")


def arrow_writer(table: pa.Table, path: Path) -> None:
    writer = pacsv.CSVWriter(path, table.schema,
                             write_options=pacsv.WriteOptions(quoting_style="needed"))
    for batch in table.to_batches(CHUNK):
        writer.write_table(pa.Table.from_batches([batch]))
    writer.close()


def safecsv_writer(table: pa.Table, path: Path) -> None:
    with CsvWriter(path, table.column_names, eol="\n") as writer:
        for batch in table.to_batches(CHUNK):
            writer.write(pa.Table.from_batches([batch]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
          f"pyarrow {pa.__version__}")
    folder = Path(tempfile.mkdtemp(prefix="tincheck-csv-bench-"))
    try:
        data = generate(folder / "data", referrals=args.referrals, seed=1)
        tables = {name: pq.read_table(data / f"{name}.parquet") for name in TABLES}
        rows = sum(t.num_rows for t in tables.values())
        best = {}
        for name, write in (("pyarrow.csv.CSVWriter", arrow_writer),
                            ("tincheck.safecsv.CsvWriter", safecsv_writer)):
            times = []
            for _ in range(args.repeat):
                started = time.process_time()
                for table_name, table in tables.items():
                    write(table, folder / f"{table_name}.csv")
                times.append(time.process_time() - started)
            best[name] = min(times)
            size = sum((folder / f"{t}.csv").stat().st_size for t in TABLES)
            print(f"{name}: {best[name]:.2f} s CPU (best of {args.repeat}) for {rows:,} rows "
                  f"of {args.referrals:,} referrals, {size / 1e6:.1f} MB")
        extra = best["tincheck.safecsv.CsvWriter"] - best["pyarrow.csv.CSVWriter"]
        print(f"difference: {extra:.2f} s CPU, {extra / rows * 1e6:.2f} s per million rows")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
