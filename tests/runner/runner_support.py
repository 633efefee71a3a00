"""Paths shared by the runner tests."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def notebook_names() -> list[str]:
    from dmabuf_lab.runner.notebook_source import discover
    return [nb.name for nb in discover(ROOT / "notebooks")]
