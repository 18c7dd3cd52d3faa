"""Renderings of results: self-contained HTML pages, JSON and terminal summaries.

``page`` builds one HTML file with inline CSS (no network, prints cleanly, readable
on a phone); ``charts`` turns matplotlib figures into inline, accessible SVG.
"""
