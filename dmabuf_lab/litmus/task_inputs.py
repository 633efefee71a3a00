"""What a task is given instead of live objects: topologies and scenarios as plain data.

A topology travels as its preset name, or as the path of a captured
machine plus the digest of that capture; a litmus scenario as its path and
its full text.  Both are small, picklable and JSON, so they ship cheaply to
a worker and name the task's cache entry: an edited scenario or capture is
a new task.  The worker loads them once per process and checks that a
capture still has the digest the client saw, so a worker on another
machine with a different file fails loudly instead of caching a wrong
result.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Optional

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.tasks.engine import file_digest


class TaskInputError(LabInputError):
    """A capture or scenario a worker sees differently from the client."""


def topology_ref(name_or_path: str) -> dict:
    """``{"topology": preset name or absolute capture path, "digest": capture digest or None}``."""
    from dmabuf_lab.hw.presets import PRESETS

    name = str(name_or_path)
    if name in PRESETS or not os.path.exists(name):
        return {"topology": name, "digest": None}   # unknown names fail in the task, as load_topology does
    path = str(Path(name).resolve())
    return {"topology": path, "digest": file_digest(path)}


def _check_capture(path: str, digest: Optional[str], what: str) -> None:
    if digest is None:
        return
    if not os.path.exists(path):
        raise TaskInputError(f"{what} {path} does not exist on this worker; expected the capture the "
                             "client read (run the workers from the same checkout)", file=path)
    if file_digest(path) != digest:
        raise TaskInputError(f"{what} {path} differs on this worker from the client's copy "
                             f"(digest {file_digest(path)}, expected {digest})", file=path)


def _stamp(path: str) -> tuple:
    """Size and modification time of a file, or of every file under a directory."""
    p = Path(path)
    try:
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        return tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    except OSError:
        return ()


@lru_cache(maxsize=64)
def _checked_capture(path: str, digest: Optional[str], what: str, stamp: tuple) -> None:
    _check_capture(path, digest, what)


def load_topology_ref(ref: dict):
    """A freshly loaded topology from :func:`topology_ref`'s dict.

    The capture's digest is checked again whenever its size or modification
    time changes, not on every run.
    """
    from dmabuf_lab.hw import load_topology

    path, digest = ref["topology"], ref.get("digest")
    if digest is not None:
        _checked_capture(path, digest, "capture", _stamp(path))
    return load_topology(path)


def scenario_ref(scenario_or_path) -> dict:
    """``{"path", "text", "topology_digest"}`` of a scenario file (a path or a loaded Scenario).

    The Scenario is also remembered in this process, so that workers forked
    from it later start with it parsed.
    """
    from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario_text

    path = Path(getattr(scenario_or_path, "path", scenario_or_path)).resolve()
    sc = scenario_or_path if getattr(scenario_or_path, "text", "") else None
    if sc is not None:
        text = sc.text          # exactly what this Scenario was parsed from
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"cannot read scenario: {exc}", file=str(path)) from None
        sc = load_scenario_text(path, text)
    _remember(str(path), text, sc)
    files = _topology_files(sc)
    digest = _files_digest(files) if files else None
    return {"path": str(path), "text": text, "topology_digest": digest}


def _topology_files(sc) -> list[str]:
    """The capture files a scenario's topology is loaded from (none for a preset).

    ``topology_arg`` is a path, or a dict of the files of one machine
    (``lspci``, ``dmesg`` lists and a ``resource`` table)."""
    arg = sc.topology_arg or sc.topology_ref
    if isinstance(arg, dict):
        return [str(p) for k in ("lspci", "dmesg") for p in arg.get(k, ())] + \
               [str(p) for p in arg.get("resource", {}).values()]
    if sc.topology_ref in _presets() or not os.path.exists(arg):
        return []
    return [str(arg)]


def _files_digest(files: list[str]) -> str:
    """One file's digest, or a digest over several files' digests in order."""
    if len(files) == 1:
        return file_digest(files[0])
    import hashlib

    return hashlib.sha256("\n".join(file_digest(f) for f in files).encode()).hexdigest()[:32]


def _presets():
    from dmabuf_lab.hw.presets import PRESETS

    return PRESETS


#: Scenarios parsed in this process, by (path, text).  Those the client
#: loaded itself are entered by :func:`scenario_ref`, so workers forked from
#: it find them here instead of parsing every file again.
_SCENARIOS: dict = {}
_MAX_SCENARIOS = 1024


def _loaded(path: str, text: str):
    from dmabuf_lab.litmus.scenario import load_scenario_text

    sc = _SCENARIOS.get((path, text))
    if sc is None:
        sc = load_scenario_text(path, text)
        _remember(path, text, sc)
    return sc


def _remember(path: str, text: str, sc) -> None:
    if len(_SCENARIOS) >= _MAX_SCENARIOS:
        _SCENARIOS.clear()
    _SCENARIOS[(path, text)] = sc


def load_scenario_ref(ref: dict):
    """The Scenario of :func:`scenario_ref`'s dict, parsed once per worker process.

    A capture topology is checked against the client's digest as in
    :func:`load_topology_ref`.
    """
    sc = _loaded(ref["path"], ref["text"])
    digest = ref.get("topology_digest")
    if digest is not None:
        files = _topology_files(sc)
        _checked_captures(tuple(files), digest, f"{Path(ref['path']).name}: topology",
                          tuple(_stamp(f) for f in files))
    return sc


@lru_cache(maxsize=64)
def _checked_captures(files: tuple, digest: Optional[str], what: str, stamps: tuple) -> None:
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        raise TaskInputError(f"{what} {missing[0]} does not exist on this worker; expected the capture the "
                             "client read (run the workers from the same checkout)", file=missing[0])
    got = _files_digest(list(files))
    if got != digest:
        raise TaskInputError(f"{what} {', '.join(files)} differs on this worker from the client's copy "
                             f"(digest {got}, expected {digest})", file=files[0])
