"""A finding as a plain-text bug report (every line at most 72 columns).

The text stands alone: what goes wrong, where (function, file and line
range at the commit read, or "lines unknown"), the code at fault (commit
or posting with its patch number, and its Message-ID where known), how to
trigger it, what the lab observed, the upstream status in one line, and
one-line commands that reproduce it with the lab at the named commit.
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
    """The bug report for ``f``; ``commit`` names the lab checkout that reproduces it.

    Commands, paths, pytest node ids and Message-IDs are never wrapped, so
    each can be pasted as is; they are the only lines allowed past ``width``.
    """
    lines = [f.title, ""]
    lines += _field("Where", f.location, width)
    lines += _field("Code", f.code, width)
    if f.message_id:
        lines += _field("Msg-ID", f.message_id, width)
    lines += _field("Status", f.status_line, width)
    if f.config:
        lines += _field("Config", f.config, width)
    lines.append("")
    lines += _para("What goes wrong", f.what, width) + [""]
    lines += _para("How to trigger it", f.trigger, width) + [""]
    lines += _para("What the lab observed", f.observed, width) + [""]
    if f.scenarios or f.tests:
        lines.append("Shown by:")
        lines += [f"  dmabuf-lab litmus {s}" for s in f.scenarios]
        lines += [f"  python -m pytest {t}" for t in f.tests]
        lines.append("")
    fix = f"the lab's variant {f.variant}" if ":" in f.variant else f"the release {f.variant}, which has the fix"
    if f.also_in:
        fix += "; the same code is inherited by " + ", ".join(f.also_in)
    lines += _para("Fix modelled", fix, width) + [""]
    lines += _field("Lab", f"dmabuf-lab at commit {commit}", width)
    lines += ["Reproduce:", f"  {f.reproducer}"]
    out = "\n".join(line.rstrip() for line in lines) + "\n"
    commands = {f"  {f.reproducer}", *(line for line in lines if line.startswith(("  dmabuf-lab ",
                                                                                  "  python -m pytest ")))}
    # a command or a lone token that cannot be broken (a Message-ID) may run past the width
    too_wide = [line for line in out.splitlines() if len(line) > width and line not in commands
                and len(line.split(None, 1)[-1].split()) > 1]
    if too_wide:
        raise ValueError(f"finding {f.id}: lines over {width} columns: {too_wide}")
    return out
