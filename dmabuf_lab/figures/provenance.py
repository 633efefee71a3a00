"""What made a figure: the lab's commit, the notebook parameters, the command.

``dmabuf-lab run`` passes the parameters it gives a notebook (``-p``,
``--small``) and the checkout's commit to the notebook's process through
``DMABUF_LAB_PARAMS`` and ``DMABUF_LAB_COMMIT``; ``save_figure`` records
them in the figure's Vega-Lite ``usermeta``, its SVG ``<metadata>`` and at
the end of its email form::

    Lab: dmabuf-lab 7921397a1b2c (clean)
    Parameters: small=true
    Regenerate: git checkout 7921397a1b2c && \\
      dmabuf-lab run 08_negotiation_matrix -p small=true

Running that command at that commit writes the same data (``.csv``,
``.parquet``) byte for byte.  :func:`parse_regenerate` reads the command
back from an email form.
"""
from __future__ import annotations

import json
import os
import shlex
import textwrap
from dataclasses import dataclass

from dmabuf_lab.provenance import LabCommit, lab_commit

PARAMS_ENV = "DMABUF_LAB_PARAMS"


def params_to_env(params: dict) -> str:
    """The JSON the runner puts in ``DMABUF_LAB_PARAMS``."""
    return json.dumps(params, sort_keys=True)


def _param_word(name: str, value) -> str:
    """``name=value`` as ``dmabuf-lab run -p`` reads it back to the same value."""
    if isinstance(value, str):
        try:
            json.loads(value)
            text = json.dumps(value)          # "true", "3", "[1]" as strings stay strings
        except ValueError:
            text = value
    else:
        text = json.dumps(value, separators=(",", ":"))
    return f"{name}={text}"


@dataclass(frozen=True)
class FigureProvenance:
    """``params`` is None when the figure was saved outside ``dmabuf-lab run``."""

    notebook: str
    commit: LabCommit
    params: dict | None

    @classmethod
    def current(cls, notebook: str) -> "FigureProvenance":
        raw = os.environ.get(PARAMS_ENV)
        params = None
        if raw is not None:
            try:
                params = json.loads(raw)
            except ValueError:
                params = None
            if not isinstance(params, dict):
                params = None
        return cls(notebook, lab_commit(), params)

    def params_text(self) -> str:
        if self.params is None:
            return "not recorded (saved outside `dmabuf-lab run`)"
        if not self.params:
            return "the notebook's defaults"
        return ", ".join(_param_word(k, v) for k, v in sorted(self.params.items()))

    def run_argv(self) -> list[str]:
        argv = ["dmabuf-lab", "run", self.notebook]
        if self.params:
            argv.append("-p")
            argv += [_param_word(k, v) for k, v in sorted(self.params.items())]
        return argv

    def regenerate(self) -> str:
        """The command, on one line."""
        run = shlex.join(self.run_argv())
        if self.commit.sha == "unknown":
            return run
        return f"git checkout {self.commit.short} && {run}"

    def footer(self, width: int = 72) -> str:
        lab = f"Lab: dmabuf-lab {self.commit.describe()}"
        lines = textwrap.wrap(lab, width=width, subsequent_indent="  ")
        lines += textwrap.wrap(f"Parameters: {self.params_text()}", width=width, subsequent_indent="  ",
                               break_on_hyphens=False)
        command = f"Regenerate: {self.regenerate()}"
        if len(command) <= width:
            lines.append(command)
        else:
            # shell continuation lines: still one command, each line within width
            words = shlex.split(self.regenerate())
            parts, cur = [], "Regenerate:"
            for word in (shlex.quote(w) if w != "&&" else w for w in words):
                if len(cur) + 1 + len(word) + 2 > width:
                    parts.append(cur + " \\")
                    cur = "  " + word
                else:
                    cur += " " + word
            parts.append(cur)
            lines += parts
        return "\n".join(lines)

    def as_meta(self) -> dict:
        return {"commit": self.commit.sha, "dirty": self.commit.dirty, "parameters": self.params,
                "regenerate": self.regenerate()}


def parse_regenerate(text: str) -> tuple[str | None, list[str]]:
    """``(commit, dmabuf-lab argv)`` from an email form's Regenerate command."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Regenerate: "))
    command = lines[start][len("Regenerate: "):]
    i = start
    while command.endswith("\\"):
        i += 1
        command = command[:-1].rstrip() + " " + lines[i].strip()
    words = shlex.split(command)
    commit = None
    if words[:2] == ["git", "checkout"]:
        commit, words = words[2], words[4:]           # skip "&&"
    return commit, words
