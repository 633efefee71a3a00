"""Old module paths of twins that moved to ``dmabuf_lab/linux/`` keep answering.

Each old module keeps a ``__getattr__`` made by :func:`forward`: a name is
looked up in the new homes, in order; a name found in none of them is an
AttributeError that names where the module went.
"""
from __future__ import annotations

import importlib
from typing import Callable


def forward(old: str, homes: tuple[str, ...]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``old`` that serves names from ``homes``."""
    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        for home in homes:
            value = getattr(importlib.import_module(home), name, _MISSING)
            if value is not _MISSING:
                return value
        raise AttributeError(f"module {old!r} moved to {homes[0]} (one folder per kernel C file under "
                             f"dmabuf_lab/linux/); {name!r} is in none of {', '.join(homes)}")
    return __getattr__


_MISSING = object()
