"""Synthetic services: realistic patient-level data with no real patient in it.

:func:`generate` writes every table of the data model (referrals, appointments,
measures, interviews, therapists, costs) for a chosen number of referrals, from a
latent model calibrated to England's published NHS Talking Therapies figures
(``parameters.toml``; ``docs/synth.md``), plus a ``manifest.json`` that marks the
folder as synthetic. The same seed gives the same bytes.

>>> import tempfile
>>> folder = generate(Path(tempfile.mkdtemp()) / "demo-data", referrals=200, seed=1)
>>> sorted(p.name for p in folder.iterdir())  # doctest: +NORMALIZE_WHITESPACE
['appointments.parquet', 'costs.parquet', 'interviews.parquet', 'manifest.json',
 'measures.parquet', 'referrals.parquet', 'therapists.parquet']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import __version__
from ..notices import SYNTHETIC_NOTICE
from .chunk import CHUNK_REFERRALS, build_context, simulate_chunk
from .parameters import SynthConfigError, load_parameters, parameters_sha256, plain
from .tables import chunk_tables, costs_table, therapists_table
from .writer import FORMATS, TableWriter, prepare_folder, sha256, write_manifest

NOTICE = SYNTHETIC_NOTICE
MAX_REFERRALS = 10 ** 8

__all__ = ["CHUNK_REFERRALS", "NOTICE", "SynthConfigError", "generate", "load_parameters"]


def generate(out: str | Path, referrals: int = 20_000, seed: int = 1, services: int = 8,
             format: str = "parquet", interview_fraction: float = 0.1,
             config: str | Path | dict | None = None, *, nhs_style: bool = False,
             overwrite: bool = False,
             progress: Callable[[int, int], None] | None = None) -> Path:
    """Write a synthetic service's data folder and return its path.

    Parameters
    ----------
    out : folder to write (created; must not already hold table files unless
        ``overwrite``).
    referrals : number of referrals (rows of ``referrals``).
    seed : any non-negative integer; the same seed gives byte-identical files.
    services : number of services (providers) the referrals are spread over.
    format : ``"parquet"`` (default) or ``"csv"``.
    interview_fraction : share of referrals seen at least once, sampled within each
        service, who get independent diagnostic interviews (0 writes no interviews).
    config : a TOML file (or dict) overriding entries of ``parameters.toml``.
    nhs_style : write NHS column names and codes and DD/MM/YYYY dates instead of the
        canonical form (both read to the same canonical tables).
    progress : called with (referrals done, referrals) after each chunk.

    Raises :class:`SynthConfigError` for an unusable argument or parameter file.
    """
    _check_arguments(referrals, seed, services, format, interview_fraction)
    params = load_parameters(config)
    folder = Path(out)
    prepare_folder(folder, overwrite)

    streams = np.random.SeedSequence(seed).spawn(1 + math.ceil(referrals / CHUNK_REFERRALS))
    # stream 0: services and staff; stream 1 + c: chunk c
    ctx = build_context(params, referrals, services, interview_fraction, streams[0])
    names = ["referrals", "appointments", "measures"]
    if interview_fraction > 0:
        names.append("interviews")
    writers = {name: TableWriter(folder, name, format, nhs_style)
               for name in names + ["therapists", "costs"]}
    costs = None
    try:
        for c, n in ctx.chunks(referrals):
            chunk = simulate_chunk(ctx, c, n, streams[1 + c])
            for name, table in chunk_tables(ctx, chunk).items():
                if name in writers:
                    writers[name].write(table)
            costs = chunk.costs if costs is None else costs + chunk.costs
            del chunk
            if progress is not None:
                progress(c * ctx.chunk_referrals + n, referrals)
        writers["therapists"].write(therapists_table(ctx))
        writers["costs"].write(costs_table(ctx, costs))
        for writer in writers.values():
            writer.close()
    except BaseException:
        for writer in writers.values():
            writer.abandon()
        raise
    for writer in writers.values():
        writer.finish()
    write_manifest(folder, _manifest(params, config, seed, referrals, services, format,
                                     interview_fraction, nhs_style, writers))
    return folder


def _check_arguments(referrals, seed, services, fmt, fraction) -> None:
    def whole(value, name, low, high):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SynthConfigError(f"{name} = {value!r}; expected a whole number from "
                                   f"{low:,} to {high:,}")

    whole(referrals, "referrals", 1, MAX_REFERRALS)
    whole(seed, "seed", 0, 2 ** 63 - 1)
    whole(services, "services", 1, 999)
    if fmt not in FORMATS:
        raise SynthConfigError(f"format = {fmt!r}; expected one of {', '.join(FORMATS)}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0 <= fraction <= 1:
        raise SynthConfigError(f"interview_fraction = {fraction!r}; expected a share from "
                               "0 to 1")


def _manifest(params, config, seed, referrals, services, fmt, fraction, nhs, writers) -> dict:
    import pyarrow

    if config is None or isinstance(config, dict):
        config_name = None if config is None else "(dict)"
    else:
        config_name = Path(config).name
    return {
        "synthetic": True,
        "notice": NOTICE,
        "generator": {"name": "tincheck.synth", "tincheck": __version__,
                      "numpy": np.__version__, "pyarrow": pyarrow.__version__,
                      "chunk_referrals": CHUNK_REFERRALS},
        "seed": seed,
        "referrals": referrals,
        "services": services,
        "format": fmt,
        "nhs_style": nhs,
        "interview_fraction": fraction,
        "config": config_name,
        "parameters_sha256": parameters_sha256(params),
        "parameters": plain(params),
        "tables": {name: {"file": w.final.name, "rows": w.rows, "sha256": sha256(w.final)}
                   for name, w in writers.items()},
    }
