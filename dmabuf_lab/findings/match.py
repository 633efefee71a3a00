"""Which registered finding a run's report is.

The kernel-runtime model reports a kind, a message, a site and a kernel
call chain; ``data/findings.toml`` names each known defect by id with its
kind, function and the revisions it lives in.  :func:`finding_id` pairs
the two: same kind, a revision the entry lives in (``where`` or
``also_in``), and the entry's function in the report's call chain, site or
message.  A report no entry matches keeps its kind.  A ``crash`` verdict
is matched the same way against the oops it carries.
"""
from __future__ import annotations

from functools import lru_cache

from dmabuf_lab.revisions import split_target


@lru_cache(maxsize=1)
def _registry() -> tuple:
    from dmabuf_lab.findings.registry import load_findings

    try:
        return tuple(load_findings())
    except Exception:       # a broken registry is reported by `dmabuf-lab findings`, not here
        return ()


def known_ids() -> set:
    """Every id in the registry."""
    return {f.id for f in _registry()}


def _mentions(report, function: str) -> bool:
    return (function in tuple(report.chain or ()) or report.site.endswith(" " + function)
            or f"{function}(" in report.message or f"{function} " in report.message)


def finding_id(report, target: str, registry=None) -> str | None:
    """The id of the registered finding ``report`` (a kmodel Finding) is under ``target``."""
    rev = split_target(target)[0]
    for f in registry if registry is not None else _registry():
        if f.kind == report.kind and rev in (f.where, *f.also_in) and _mentions(report, f.function):
            return f.id
    return None


def crash_id(verdict, target: str, registry=None) -> str | None:
    """The registered crash a ``crash`` verdict is: kind ``crash``, a revision it lives in,
    and its function named in the oops."""
    if verdict.outcome != "crash":
        return None
    rev = split_target(target)[0]
    for f in registry if registry is not None else _registry():
        if f.kind == "crash" and rev in (f.where, *f.also_in) and f.function in (verdict.detail or ""):
            return f.id
    return None


def finding_labels(verdict, target: str, registry=None) -> list[str]:
    """Each report of ``verdict`` once: its finding id, or its kind when none matches;
    a crash verdict that is a registered finding first."""
    crash = crash_id(verdict, target, registry)
    out = [crash] if crash else []
    for report in verdict.findings:
        label = finding_id(report, target, registry) or report.kind
        if label not in out:
            out.append(label)
    return out
