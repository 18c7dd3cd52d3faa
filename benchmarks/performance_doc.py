"""The measured tables of docs/performance.md, written from benchmarks/run.py's JSON lines.

Only the part between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is
replaced; the rest of the page (synthesis, profile, discussion) is kept as written.
"""

from __future__ import annotations

from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
E2E_START, E2E_END = "<!-- e2e:start -->", "<!-- e2e:end -->"
# the command's progress steps, grouped into the parts of the table
PARTS = (("reading + validation", ("reading and validating the data",)),
         ("metrics", ("building the per-referral working table", "building the interview table",
                      "building the pathway table", "computing metrics",
                      "comparing services")),
         ("therapist models", ("therapist effects and competence",)),
         ("imputation", ("multiple imputation",)),
         ("report", ("writing report.json and metrics.csv",
                     "drawing the charts and writing report.html")))
GIB = 1024
TARGET_SIZE = 1_000_000
SMALL_SIZE = 100_000


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def mib(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value):,} MiB"


def ratio(value: float) -> str:
    return f"{value:.1f}"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)] + [
        "| " + " | ".join(row) + " |" for row in rows]


def _limit(record: dict) -> str:
    return record.get("memory_limit") or "default"


def _sql(record: dict) -> str:
    # runs before the on-disk SQL cache existed compiled in every process
    return record["audit"].get("sql", "compiled")


def _synthesis(record: dict) -> str:
    s = record["synthesis"]
    text = seconds(s["seconds"])
    return text + " (cached)" if s.get("cached") else text


def sections(lines: list[dict]) -> list[str]:
    """Markdown lines for the measured part of the page."""
    abouts = [line for line in lines if "machine" in line]
    sizes = sorted((line for line in lines if "audit" in line),
                   key=lambda r: (r["referrals"], bool(r.get("memory_limit")),
                                  _sql(r) != "compiled", r["run"]))
    sparks = [line for line in lines if "spark" in line]
    m = abouts[-1]["machine"] if abouts else {}
    out = ["## Measured", ""]
    if m:
        loads = [a["load_at_start"][0] for a in abouts] + [
            r[stage]["load_before"] for r in sizes for stage in ("audit", "imputation",
                                                                 "floor", "pandas")]
        commands = " and ".join(dict.fromkeys(f"`{a['command'].strip()}`" for a in abouts))
        out += [f"Measured on {m['date']} with {commands} at commit "
                f"`{m['commit']}`: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
                f"{m['system']}; Python {m['python']}, DuckDB {m['duckdb']}, Ibis {m['ibis']}, "
                f"pandas {m['pandas']}, numpy {m['numpy']}, pyarrow {m['pyarrow']}. The "
                "machine is shared: the one-minute load average before each stage ranged "
                f"from {min(loads):.1f} to {max(loads):.1f} (2 cores; 2.0 means both busy).", ""]
    if sizes:
        out += ["Wall time of each stage (inside its child process, imports excluded). "
                "Synthesis is timed when the cached Parquet is first written. The audit is "
                "`tincheck.audit(dataset, imputations=0)` on an ingested dataset; multiple "
                "imputation (m = 20) is the imputation hook alone; render is "
                f"{sizes[-1]['render']['what']}.", ""]
        out += table(
            ["referrals", "DuckDB memory", "run", "load", "synthesis", "ingest + validation",
             "audit", "audit's SQL", "multiple imputation", "render", "floor", "pandas peer"],
            [[f"{r['referrals']:,}", _limit(r), str(r["run"]), f"{r['audit']['load_before']:.1f}",
              _synthesis(r), seconds(r["audit"]["ingest_seconds"]),
              seconds(r["audit"]["seconds"]), _sql(r), seconds(r["imputation"]["seconds"]),
              seconds(r["render"]["seconds"]), seconds(r["floor"]["seconds"]),
              seconds(r["pandas"]["seconds"])] for r in sizes])
        out += ["", "Peak resident memory of each child process (`ru_maxrss`; ingest is read "
                "before the audit starts in the same process, so the audit's figure "
                "includes the ingested data it works on).", ""]
        out += table(
            ["referrals", "DuckDB memory", "run", "synthesis", "ingest + validation",
             "ingest + audit", "ingest + audit + imputation", "render", "floor", "pandas peer"],
            [[f"{r['referrals']:,}", _limit(r), str(r["run"]),
              mib(r["synthesis"].get("peak_rss_mib")),
              mib(r["audit"]["ingest_peak_rss_mib"]), mib(r["audit"]["peak_rss_mib"]),
              mib(r["imputation"]["peak_rss_mib"]), mib(r["render"]["peak_rss_mib"]),
              mib(r["floor"]["peak_rss_mib"]), mib(r["pandas"]["peak_rss_mib"])]
             for r in sizes])
        out += ["", "Ratios. The floor reads Parquet; the audit reads the tables ingest has "
                "already loaded, so both the audit alone and ingest + audit are shown. The "
                "pandas peer reads Parquet and computes only the funnel and official metrics "
                "(22 of the audit's metrics); its numbers equal tincheck's at every size: "
                + ("yes." if all(r["pandas"]["equal_to_tincheck"] for r in sizes) else
                   "**no** (" + ", ".join(sorted({d for r in sizes
                                                  for d in r["pandas"]["differ"]})) + ")."),
                ""]
        out += table(
            ["referrals", "DuckDB memory", "run", "audit ÷ floor", "(ingest + audit) ÷ floor",
             "pandas ÷ audit", "pandas ÷ (ingest + audit)", "audit µs per referral",
             "ingest + audit µs per referral", "cases imputed"],
            [[f"{r['referrals']:,}", _limit(r), str(r["run"]),
              ratio(r["ratios"]["audit_over_floor"]),
              ratio(r["ratios"]["ingest_and_audit_over_floor"]),
              ratio(r["ratios"]["pandas_over_audit"]),
              ratio(r["ratios"]["pandas_over_ingest_and_audit"]),
              f"{r['ratios']['audit_us_per_referral']:.1f}",
              f"{r['ratios']['ingest_and_audit_us_per_referral']:.1f}",
              f"{r['imputation']['cases']:,}"] for r in sizes])
        small = [r for r in sizes if r["referrals"] == SMALL_SIZE and not r.get("memory_limit")]
        for limit, sql in sorted({(r.get("memory_limit") or "", _sql(r)) for r in sizes}):
            group = [r for r in sizes
                     if (r.get("memory_limit") or "") == limit and _sql(r) == sql]
            # time per referral is compared with the uncapped 100,000 runs
            out += [""] + targets(group, small, f"DuckDB memory {limit or 'default'}, "
                                  f"SQL {sql}")
    for line in sparks:
        out += [""] + spark_section(line)
    return out


def targets(sizes: list[dict], small: list[dict], limit: str) -> list[str]:
    """The targets at 1,000,000 referrals: measured (range over runs) and met."""
    big = [r for r in sizes if r["referrals"] == TARGET_SIZE]
    if not big:
        return []

    def span(values, fmt):
        low, high = min(values), max(values)
        return fmt(low) if fmt(low) == fmt(high) else f"{fmt(low)} to {fmt(high)}"

    def verdict(ok):
        return "met" if all(ok) else ("not met" if not any(ok) else "met in some runs")

    audit = [r["audit"]["seconds"] for r in big]
    peak = [r["audit"]["peak_rss_mib"] for r in big]
    floor = [r["ratios"]["audit_over_floor"] for r in big]
    floor_all = [r["ratios"]["ingest_and_audit_over_floor"] for r in big]
    speed = [r["ratios"]["pandas_over_audit"] for r in big]
    speed_all = [r["ratios"]["pandas_over_ingest_and_audit"] for r in big]
    lower = [r["audit"]["peak_rss_mib"] < r["pandas"]["peak_rss_mib"] for r in big]
    rows = [
        ["full audit ≤ 60 s", span(audit, seconds), verdict([a <= 60 for a in audit])],
        ["peak memory ≤ 4 GB (4,096 MiB; ingest + audit process)", span(peak, mib),
         verdict([p <= 4 * GIB for p in peak])],
        ["audit ÷ floor ≤ 5 (ambition ≤ 2)", span(floor, ratio), verdict([f <= 5 for f in floor])],
        ["(ingest + audit) ÷ floor ≤ 5", span(floor_all, ratio),
         verdict([f <= 5 for f in floor_all])],
        ["pandas ÷ audit ≥ 5", span(speed, ratio), verdict([s >= 5 for s in speed])],
        ["pandas ÷ (ingest + audit) ≥ 5", span(speed_all, ratio),
         verdict([s >= 5 for s in speed_all])],
        ["audit peak memory below pandas'",
         ", ".join(f"{r['audit']['peak_rss_mib']:,} vs {r['pandas']['peak_rss_mib']:,} MiB"
                   for r in big), verdict(lower)],
    ]
    if small:
        per_small = min(r["ratios"]["audit_us_per_referral"] for r in small)
        per_big = [r["ratios"]["audit_us_per_referral"] / per_small for r in big]
        rows.append(["audit time per referral at 1M within 1.5× of 100k",
                     span(per_big, lambda v: f"{v:.2f}×"), verdict([p <= 1.5 for p in per_big])])
        per_small = min(r["ratios"]["ingest_and_audit_us_per_referral"] for r in small)
        per_big = [r["ratios"]["ingest_and_audit_us_per_referral"] / per_small for r in big]
        rows.append(["(ingest + audit) time per referral at 1M within 1.5× of 100k",
                     span(per_big, lambda v: f"{v:.2f}×"), verdict([p <= 1.5 for p in per_big])])
    return [f"### Targets at 1,000,000 referrals ({limit})",
            ""] + table(
        ["target", "measured", "verdict"], rows)


def spark_section(line: dict) -> list[str]:
    s = line["spark"]
    return ["### DuckDB and Spark at 200,000 referrals", "",
            f"`python benchmarks/run.py --spark` (load average {s['load_before']:.1f} before "
            f"it): one child process reads and validates the data once ({seconds(s['ingest_seconds'])}), "
            "then audits it (imputations = 0) twice on each engine. The first audit of a "
            "process includes compiling the metric expressions to SQL (cached for the "
            "process); the Spark audit includes writing the canonical tables as Parquet "
            f"for Spark ({s['spark_conf']['master']}, driver memory "
            f"{s['spark_conf']['driver_memory']}).", ""] + table(
        ["engine", "start-up", "first audit", "second audit", "peak memory"],
        [["DuckDB (in process)", "none", seconds(s["duckdb_cold_seconds"]),
          seconds(s["duckdb_warm_seconds"]), mib(s["peak_rss_mib"]) + " (Python process)"],
         ["Spark", seconds(s["spark_start_seconds"]), seconds(s["spark_cold_seconds"]),
          seconds(s["spark_warm_seconds"]), mib(s.get("jvm_peak_rss_mib")) + " (JVM)"]]) + [
        "", f"Largest difference between the engines' metric values: "
            f"{s['largest_difference']:.3g}."]


def _spread(values: list[float], show=seconds) -> str:
    """Median (min–max) of the runs."""
    import statistics

    if len(values) == 1:
        return show(values[0])
    return f"{show(statistics.median(values))} ({show(min(values))}–{show(max(values))})"


def end_to_end_sections(lines: list[dict]) -> list[str]:
    """One table: the default command at each size, its parts, peak memory, floor, ratio."""
    abouts = [line for line in lines if "machine" in line]
    runs = [line for line in lines if line.get("kind") == "end_to_end"]
    m = abouts[-1]["machine"] if abouts else {}
    out = ["## The default command, end to end", ""]
    if m:
        commands = sorted({a["command"] for a in abouts})
        out += [f"Measured on {m['date']} with " + " and ".join(f"`{c}`" for c in commands)
                + f" at commit `{m['commit']}`: {m['cpu']}, {m['cores']} cores, "
                f"{m['memory_gib']} GiB; Python {m['python']}, DuckDB {m['duckdb']}, "
                f"numpy {m['numpy']}.", ""]
    loads = [r["command"]["load_before"] for r in runs]
    if loads:
        out += [f"The machine was shared: the one-minute load average before each command "
                f"ranged from {min(loads):.1f} to {max(loads):.1f} (2 cores; 2.0 means both "
                "busy), so wall times carry the neighbours' load; the ratio to the floor is "
                "taken within each run (the floor query just before and just after the "
                "command, averaged), and CPU time is given beside wall time.", ""]
    head = ["referrals", "DuckDB memory", "runs", "load", "end to end", "CPU time",
            *[name for name, _ in PARTS], "peak memory", "workers' peak", "floor",
            "end to end ÷ floor",
            "CPU ÷ floor's CPU"]
    rows = []
    for key in sorted({(r["referrals"], r.get("memory_limit") or "") for r in runs}):
        group = [r for r in runs if (r["referrals"], r.get("memory_limit") or "") == key]
        loads = [r["command"]["load_before"] for r in group]
        parts = [_spread([sum(r["command"]["parts"].get(step, 0.0) for step in steps)
                          for r in group]) for _, steps in PARTS]
        rows.append([f"{key[0]:,}", key[1] or "default", str(len(group)),
                     f"{min(loads):.1f}–{max(loads):.1f}",
                     _spread([r["command"]["seconds"] for r in group]),
                     _spread([r["command"]["cpu_seconds"] for r in group]), *parts,
                     _spread([r["command"]["peak_rss_mib"] for r in group], mib),
                     _spread([r["command"].get("children_peak_rss_mib") for r in group], mib)
                     if all(r["command"].get("children_peak_rss_mib") for r in group)
                     else "not recorded",
                     _spread([r["floor_seconds"] for r in group]),
                     _spread([r["ratio"] for r in group], ratio),
                     _spread([r["command"]["cpu_seconds"] / r["floor_cpu_seconds"]
                              for r in group], ratio)])
    out += table(head, rows)
    out += ["", "Each cell is the median of the runs with (min–max). End to end is the "
            "command's wall time in its own process, imports excluded (about 2 s more from "
            "the shell); its parts are the steps its progress display shows; peak memory is "
            "the process's resident high-water mark (`getrusage`); workers' peak is the "
            "largest forked worker's (the imputation's chains and the therapist models run "
            "in processes forked from the command, whose pages they share until they write "
            "them, so the two peaks overlap and do not add up). CPU time counts every "
            "thread and the forked workers, the floor's likewise."]
    return out


def _replace(text: str, start: str, end: str, block: str) -> str:
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + block + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write(path: Path, lines: list[dict]) -> None:
    """Replace the measured blocks of ``path`` that ``lines`` hold (each appended if its
    markers are missing): the stage tables, the end-to-end table, or both."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Performance\n"
    if any(line.get("kind") == "end_to_end" for line in lines):
        block = "\n".join([E2E_START, ""] + end_to_end_sections(lines) + ["", E2E_END])
        text = _replace(text, E2E_START, E2E_END, block)
    if any("audit" in line for line in lines):
        block = "\n".join([START, ""] + sections(lines) + ["", END])
        text = _replace(text, START, END, block)
    path.write_text(text, encoding="utf-8")
