"""The lab's version: the package version and the git commit of the checkout."""
from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path


def package_version() -> str:
    """The installed ``dmabuf-lab`` version ("unknown" when not installed)."""
    try:
        return metadata.version("dmabuf-lab")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit(root: Path | None = None) -> str | None:
    """``<short commit>`` of the checkout, with ``-dirty`` when it has local changes; None outside git."""
    where = str(root or Path(__file__).resolve().parents[1])
    try:
        head = subprocess.run(["git", "-C", where, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", where, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = head.stdout.strip()
    return commit + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def version_line() -> str:
    """``dmabuf-lab 0.1.0 (commit 0123456789ab)`` for ``--version``."""
    commit = git_commit()
    return f"dmabuf-lab {package_version()} ({'commit ' + commit if commit else 'no git checkout'})"
