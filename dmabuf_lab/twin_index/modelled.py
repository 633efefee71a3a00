"""The modelled paths: every twin-package function the litmus scenarios run.

"Modelled path" is defined mechanically: run every scenario of ``litmus/``
under every revision it names (:func:`dmabuf_lab.litmus.runner.check_scenario`)
with a profile hook, and keep each Python function called whose code lives in
a twin package (:data:`.packages.TWIN_PACKAGES`).  Class bodies, module
bodies, lambdas and comprehensions are not functions of their own.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

_CO_NEWLOCALS = 0x2


@dataclass(frozen=True, order=True)
class Called:
    """One function that ran: its file (``dmabuf_lab/...``), first line and qualname."""

    file: str
    line: int
    qualname: str

    @property
    def module(self) -> str:
        return self.file[:-len(".py")].replace("/", ".").removesuffix(".__init__")

    @property
    def name(self) -> str:
        return f"{self.module}:{self.qualname}"


def _relative(filename: str) -> str:
    """``dmabuf_lab/...`` for a file of the package (as :mod:`dmabuf_lab.twins` records it)."""
    name = filename.replace("\\", "/")
    cut = name.rfind("/dmabuf_lab/")
    return name[cut + 1:] if cut >= 0 else name


def _prefixes() -> tuple[str, ...]:
    """``dmabuf_lab/core/``, ``dmabuf_lab/hw/iommu.py``, ...: the twin packages as file prefixes."""
    from .packages import TWIN_PACKAGES

    import importlib.util

    out = []
    for name in TWIN_PACKAGES:
        is_package = importlib.util.find_spec(name).submodule_search_locations is not None
        out.append(name.replace(".", "/") + ("/" if is_package else ".py"))
    return tuple(out)


def collect(run) -> dict[Called, frozenset[str]]:
    """Call ``run()`` under a profile hook: each twin-package function it
    called, with the revisions whose runs called it (``"-"`` outside a run).
    Every twin module is imported first, so what runs at import time is never
    counted, whatever the process imported before."""
    from dmabuf_lab.revisions.base import current_session

    from .packages import load_all

    load_all()
    prefixes = _prefixes()
    seen: dict = {}

    def hook(frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        if not code.co_flags & _CO_NEWLOCALS or "<" in code.co_name:
            return
        # keyed by place, not by the code object: two identical bodies at the same
        # line of different files compare equal as code objects
        key = (code.co_filename, code.co_firstlineno, code.co_qualname)
        revs = seen.get(key)
        if revs is None:
            revs = seen[key] = set()
        session = current_session()
        revs.add(session.revision.name if session is not None else "-")

    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        run()
    finally:
        sys.setprofile(old)
    out: dict[Called, frozenset[str]] = {}
    for (filename, line, qualname), revs in seen.items():
        rel = _relative(filename)
        if rel.startswith(prefixes):
            out[Called(rel, line, qualname)] = frozenset(revs)
    return out


def run_every_scenario(paths=None) -> None:
    """Check every litmus scenario (the same runs as ``dmabuf-lab litmus``)."""
    from dmabuf_lab.litmus.runner import check_scenario
    from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

    for path in find_scenarios(paths):
        check_scenario(load_scenario(path))


def modelled_functions(paths=None) -> dict[Called, frozenset[str]]:
    """Every twin-package function the litmus scenarios run, with the revisions that ran it."""
    return collect(lambda: run_every_scenario(paths))


def declared_keys() -> set[tuple[str, int]]:
    """``(file, first line)`` of every declared twin, in the same form as :class:`Called`."""
    from .table import all_decls

    return {(d.file, d.line) for d in all_decls()}


def undeclared(called) -> list[Called]:
    """The called functions that carry no declaration and are not allowed as lab machinery."""
    from .allow import allowed

    keys = declared_keys()
    return sorted(c for c in called if (c.file, c.line) not in keys and allowed(c.name) is None)
