"""The text form of ``dmabuf-lab ask``: one row per revision within 100 columns.

Each answer carries the verdict, the findings by registered id (the ids
``dmabuf-lab findings --format email ID`` takes; a report no entry
matches keeps its kind), the path through the steps and, for an errno,
the line that says which kernel function returned it and why
(:mod:`dmabuf_lab.litmus.errno_origin`), with the verdict each Kconfig
option the model reads would give instead.  The path most runs share is
printed once above the table; a row repeats it only where it differs.
"""
from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field

WIDTH = 100


@dataclass
class Answer:
    """One revision's answer."""

    target: str
    verdict: object
    labels: list = field(default_factory=list)     # finding ids, else kinds
    why: str = ""                                   # errno origin line
    config: list = field(default_factory=list)      # "OPTION=y: verdict" for each flip that changes it

    def as_dict(self) -> dict:
        v = self.verdict
        return {"target": self.target, "outcome": v.outcome, "step": v.step,
                "findings": v.finding_kinds, "finding_ids": self.labels, "why": self.why,
                "config": self.config, "path": path_text(v) + " -> " + outcome_text(v),
                "verdict": v.as_dict()}


def path_parts(verdict) -> list[str]:
    """The run's steps, each with what the drivers said on the way."""
    parts: list[str] = []
    for line in verdict.trace:
        if line.startswith("step "):
            parts.append(line[5:])
        elif line.startswith("outcome "):
            continue
        elif parts:
            parts[-1] += f" ({line})"
        else:
            parts.append(f"export ({line})")
    return parts


def path_text(verdict) -> str:
    return " > ".join(path_parts(verdict))


def outcome_text(verdict) -> str:
    out = verdict.outcome + (f" at {verdict.step}" if verdict.step else "")
    return out + (f": {verdict.detail}" if verdict.detail else "")


def path_differences(parts: list[str], shared: list[str], stopped: bool) -> str:
    """The steps of ``parts`` that are not the shared path's, in order; a run that
    stopped early (its verdict names the step) is not told so twice."""
    out = [p for i, p in enumerate(parts) if i >= len(shared) or p != shared[i]]
    if len(parts) < len(shared) and not stopped:
        out.append(f"ends after {parts[-1].split(' (')[0]}" if parts else "no step ran")
    return " > ".join(out)


def _wrap(text: str, lead: str, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=lead, subsequent_indent=" " * len(lead) + "  ",
                         break_on_hyphens=False, break_long_words=False)


def render(answers: list[Answer], width: int = WIDTH) -> list[str]:
    """The table: the shared path once, then one row per answer and its notes."""
    counts = Counter(path_text(a.verdict) for a in answers)
    # the path most runs share; on a tie the longest (a run that stopped early says where)
    shared = max(counts, key=lambda p: (counts[p], len(p)), default="")
    shared_parts = shared.split(" > ") if shared else []
    lines = _wrap(shared, "path (most runs): ", width) if shared else []
    lines.append("")
    tw = max([len("revision")] + [len(a.target) for a in answers])
    vw = max([len("verdict")] + [len(a.verdict.outcome) for a in answers])
    fw = max(20, width - tw - vw - 4)
    lines.append(f"{'revision':<{tw}}  {'verdict':<{vw}}  findings")
    lines.append(f"{'-' * tw}  {'-' * vw}  {'-' * min(fw, 30)}")
    pad = " " * 4
    for a in answers:
        cells = textwrap.wrap(", ".join(a.labels) or "-", fw, break_on_hyphens=False,
                              break_long_words=False) or ["-"]
        lines.append(f"{a.target:<{tw}}  {a.verdict.outcome:<{vw}}  {cells[0]}".rstrip())
        lines += [f"{'':<{tw}}  {'':<{vw}}  {c}" for c in cells[1:]]
        v = a.verdict
        differs = path_differences(path_parts(v), shared_parts, stopped=bool(v.step))
        if differs:
            lines += _wrap(differs, pad + "path differs: ", width)
        if a.why:
            lines += _wrap(a.why, pad + f"why ({v.outcome} at {v.step}): " if v.step else pad + "why: ", width)
        elif v.detail:
            lines += _wrap(v.detail, pad + "detail: ", width)
        for note in a.config:
            lines += _wrap(note, pad + "if ", width)
    return lines
