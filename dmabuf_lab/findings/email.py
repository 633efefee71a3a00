"""A finding as a plain-text bug report (every line at most 72 columns).

The text stands alone: what goes wrong, where (function, file, the code
the lab read), how to trigger it, what the lab observed, the upstream
status, and a one-line command that reproduces it with the lab at the
named commit.
"""
from __future__ import annotations

import textwrap

from dmabuf_lab.findings.registry import Finding
from dmabuf_lab.figures.text_table import EMAIL_WIDTH


def _para(label: str, text: str, width: int) -> list[str]:
    return [f"{label}:"] + textwrap.wrap(text, width=width, initial_indent="  ", subsequent_indent="  ",
                                          break_on_hyphens=False, break_long_words=False)


def _field(label: str, text: str, width: int) -> list[str]:
    head = f"{label + ':':<10}"
    return textwrap.wrap(text, width=width, initial_indent=head, subsequent_indent=" " * len(head),
                         break_on_hyphens=False, break_long_words=False)


def finding_email(f: Finding, commit: str, width: int = EMAIL_WIDTH) -> str:
    """The bug report for ``f``; ``commit`` names the lab checkout that reproduces it."""
    lines = [f.title, ""]
    lines += _field("Where", f"{f.function}() in {f.file}", width)
    lines += _field("Code", f.code, width)
    lines += _field("Status", f"{f.upstream_detail}; {f.report}", width)
    if f.config:
        lines += _field("Config", f.config, width)
    lines.append("")
    lines += _para("What goes wrong", f.what, width) + [""]
    lines += _para("How to trigger it", f.trigger, width) + [""]
    lines += _para("What the lab observed", f.observed, width) + [""]
    shown = [*f.scenarios, *f.tests]
    if shown:
        lines.append("Shown by:")
        for item in shown:
            path, sep, test = item.partition("::")
            lines.append(f"  {path}")
            if sep:
                lines.append(f"  ::{test}")
        lines.append("")
    fix = f"the lab's variant {f.variant}"
    if f.also_in:
        fix += "; the same code is inherited by " + ", ".join(f.also_in)
    lines += _para("Fix modelled", fix, width) + [""]
    lines += _field("Lab", f"dmabuf-lab at commit {commit}", width)
    lines += ["Reproduce:", f"  {f.reproducer}"]
    out = "\n".join(line.rstrip() for line in lines) + "\n"
    too_wide = [line for line in out.splitlines() if len(line) > width]
    if too_wide:
        raise ValueError(f"finding {f.id}: lines over {width} columns: {too_wide}")
    return out
