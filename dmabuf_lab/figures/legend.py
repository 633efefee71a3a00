"""Colour scales whose legend lists only what the chart draws.

A class palette is fixed across charts (``sg_table`` is always the same
green), but a chart that draws three classes should not list seven: an
entry with no mark sends the reader looking for it.  :func:`drawn_scale`
keeps the palette's colours and drops the entries the data never has.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

#: Vega's "tableau10" scheme, so a chart that drops entries keeps each one's colour.
TABLEAU10 = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
             "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")


def drawn_domain(domain: Sequence, values: Iterable) -> list:
    """``domain`` in its order, without the entries ``values`` never has."""
    present = set(values)
    return [d for d in domain if d in present]


def drawn_scale(domain: Sequence, colours: Mapping | Sequence, values: Iterable, **scale):
    """An Altair scale over the drawn part of ``domain``; ``colours`` maps each entry to its
    colour (or lists them in ``domain`` order)."""
    import altair as alt

    if not isinstance(colours, Mapping):
        colours = dict(zip(domain, colours))
    kept = drawn_domain(domain, values)
    return alt.Scale(domain=kept, range=[colours[d] for d in kept], **scale)


def scheme_colours(domain: Sequence, scheme: Sequence = TABLEAU10) -> dict:
    """Each entry of ``domain`` with the colour a categorical scheme would give it."""
    return {d: scheme[i % len(scheme)] for i, d in enumerate(domain)}
