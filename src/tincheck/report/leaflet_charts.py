"""The leaflet's picture of a number: 100 person icons, some dark (inline SVG).

"43 in 100" is drawn as a 10 × 10 grid of person icons, the first 43 solid and dark,
the other 57 pale outlines, filled row by row from the top left. Solid against
outline keeps its meaning in black and white and for readers who cannot tell colours
apart; the number is also written beside the grid, and the SVG carries it as its
``<title>`` and ``<desc>`` (``role="img"``) for screen readers.

One person shape is defined once per page (:data:`SYMBOL`) and each icon is a
``<use>`` of it, so a page with six grids stays small. Nothing is fetched.

References: Galesic M, Garcia-Retamero R, Gigerenzer G (2009) Using icon arrays to
communicate medical risks: overcoming low numeracy. Health Psychol 28:210-216.
"""

from __future__ import annotations

from .page import esc

SYMBOL_ID = "tincheck-person"
# a head and shoulders in a 10 × 12 box
SYMBOL = (f'<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false">'
          f'<defs><symbol id="{SYMBOL_ID}" viewBox="0 0 10 12">'
          '<circle cx="5" cy="2.7" r="2.3"/>'
          '<path d="M1 11.6 V8.4 C1 6.3 2.8 5.4 5 5.4 C7.2 5.4 9 6.3 9 8.4 V11.6 Z"/>'
          "</symbol></defs></svg>")
COLUMNS = ROWS = 10
WIDTH, HEIGHT, GAP = 10, 12, 2


def icon_grid(count: int, title: str, description: str, id: str) -> str:
    """A 10 × 10 grid of person icons with the first ``count`` dark (0 to 100).

    ``title`` and ``description`` are the grid's text equivalent; ``id`` makes their
    element ids unique on the page.

    >>> svg = icon_grid(43, "43 in 100 finished", "43 dark, 57 pale", "finished")
    >>> svg.count('class="on"'), svg.count('class="off"')
    (43, 57)
    """
    if not 0 <= count <= COLUMNS * ROWS:
        raise ValueError(f"icon_grid: count {count} is not between 0 and 100")
    width = COLUMNS * (WIDTH + GAP) - GAP
    height = ROWS * (HEIGHT + GAP) - GAP
    icons = []
    for i in range(COLUMNS * ROWS):
        x, y = (i % COLUMNS) * (WIDTH + GAP), (i // COLUMNS) * (HEIGHT + GAP)
        icons.append(f'<use href="#{SYMBOL_ID}" x="{x}" y="{y}" width="{WIDTH}" '
                     f'height="{HEIGHT}" class="{"on" if i < count else "off"}"/>')
    return (f'<svg class="icons" role="img" viewBox="0 0 {width} {height}" '
            f'aria-labelledby="{esc(id)}-t {esc(id)}-d">'
            f'<title id="{esc(id)}-t">{esc(title)}</title>'
            f'<desc id="{esc(id)}-d">{esc(description)}</desc>{"".join(icons)}</svg>')
