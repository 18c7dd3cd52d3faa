"""Audit of the NHS's own published annual data (``tincheck published``).

From the public annual files alone: the national series with every published rate
recomputed from its counts, providers on a funnel plot with overdispersion-adjusted
limits, published percentages checked against the counts they come from, pre-post
effect sizes by therapy type, a random-effects meta-analysis across providers, and
what is delivered.

With NHS England's annual files at hand (they do not ship with tincheck)::

    from tincheck.published import audit_published, write_report
    audit = audit_published("measures_annual.parquet", "proms_annual.parquet",
                            year="2022-23")
    write_report(audit, "tincheck-published/")
"""

from .analysis import PublishedAudit, audit_published
from .read import PublishedDataError, PublishedTable, read_measures, read_proms
# the report lives with the other reports, in tincheck.report.published
from ..report.published import closing_note, render_html, to_json, write_report

__all__ = ["PublishedAudit", "PublishedDataError", "PublishedTable", "audit_published",
           "closing_note", "read_measures", "read_proms", "render_html", "to_json",
           "write_report"]
