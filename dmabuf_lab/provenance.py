"""Which code produced an output: the lab's git commit and whether the tree was dirty.

Every exported figure and every finding report carries this, so a reader
can check out the same commit and regenerate exactly what they were sent.
``DMABUF_LAB_COMMIT`` (``<sha>`` or ``<sha>-dirty``) overrides the lookup,
which the notebook runner uses to give all its notebooks one answer.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dmabuf_lab.paths import lab_root

COMMIT_ENV = "DMABUF_LAB_COMMIT"


@dataclass(frozen=True)
class LabCommit:
    """``sha`` is the full commit id ("unknown" outside a git checkout)."""

    sha: str
    dirty: bool

    @property
    def short(self) -> str:
        return self.sha[:12]

    def __str__(self) -> str:
        return self.sha + ("-dirty" if self.dirty else "")

    def describe(self) -> str:
        """``ff02103abcde (clean)`` / ``... (dirty: uncommitted changes)``."""
        if self.sha == "unknown":
            return "unknown (not a git checkout)"
        return self.short + (" (dirty: uncommitted changes)" if self.dirty else " (clean)")

    @classmethod
    def parse(cls, text: str) -> "LabCommit":
        text = text.strip()
        dirty = text.endswith("-dirty")
        return cls(text[:-len("-dirty")] if dirty else text, dirty)


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


@lru_cache(maxsize=4)
def _lookup(root: Path) -> LabCommit:
    sha = _git(root, "rev-parse", "HEAD")
    if not sha:
        return LabCommit("unknown", False)
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return LabCommit(sha.strip(), bool(status and status.strip()))


def lab_commit(root: Path | None = None) -> LabCommit:
    """The commit of the lab checkout (``$DMABUF_LAB_COMMIT`` when set)."""
    env = os.environ.get(COMMIT_ENV)
    if env:
        return LabCommit.parse(env)
    return _lookup(Path(root or lab_root()).resolve())
