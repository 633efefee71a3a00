"""The plain-text ("email") form of a figure.

Layout, every line at most 72 columns::

    <caption: one line>

    <table or character chart>

    Lab: dmabuf-lab <commit> (clean)
    Parameters: <name=value, ...>
    Regenerate: git checkout <commit> && dmabuf-lab run <notebook> -p ...

(see :mod:`dmabuf_lab.figures.provenance`; without a provenance only the
``Regenerate: dmabuf-lab run <notebook>`` line is written).
"""
from __future__ import annotations

from dmabuf_lab.figures.text_table import EMAIL_WIDTH


class FigureTextError(ValueError):
    """A figure's caption or text does not fit the email form."""


def regenerate_command(notebook: str) -> str:
    """The command that rebuilds every figure of ``notebook``."""
    return f"dmabuf-lab run {notebook}"


def compose_email(notebook: str, name: str, caption: str, body: str, *,
                  width: int = EMAIL_WIDTH, provenance=None) -> str:
    """Assemble caption, body and regenerate line; reject anything too wide."""
    caption = " ".join(caption.split())
    if not caption:
        raise FigureTextError(f"figure {notebook}/{name}: the caption is empty")
    if len(caption) > width:
        raise FigureTextError(
            f"figure {notebook}/{name}: caption is {len(caption)} columns; "
            f"it must be one line of at most {width}: {caption!r}")
    body = "\n".join(line.rstrip() for line in body.strip("\n").splitlines())
    for number, line in enumerate(body.splitlines(), 1):
        if len(line) > width:
            raise FigureTextError(
                f"figure {notebook}/{name}: text line {number} is {len(line)} columns "
                f"(at most {width}): {line!r}")
    if provenance is not None:
        footer = provenance.footer(width)
    else:
        command = regenerate_command(notebook)
        footer = f"Regenerate: {command}" if len(command) + 12 <= width else command
    return f"{caption}\n\n{body}\n\n{footer}\n"
