"""Why a verdict came out as it did: the kernel path, the addresses, the call chains.

``dmabuf-lab litmus FILE -v`` runs each (scenario, revision) once more under
:func:`explain_run`, which watches the modelled kernel with a profiler hook
and returns, per run:

* ``calls``: the modelled kernel functions entered, in order, with their
  nesting depth (harness frames, private helpers and the kernel-runtime
  primitives are left out);
* ``handovers``: the addresses one side handed the other, read from what
  the functions returned (an sg_table's DMA entries, a physical address
  list, ``struct range`` entries, DPAs in ``drm_pagemap_addr``) or filled in
  through an output argument;
* the findings, each with the kernel call chain that allocated the leaked
  object, took the lock, or reached the report.

The addresses are read without the runtime model's accounting (in a scratch
run), so explaining a verdict never changes it.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from dmabuf_lab.kmodel.runtime import _HARNESS_DIRS, _KMODEL_DIR, _LAB_ROOT, _NOT_KERNEL

#: Output arguments that carry addresses back to the caller.
_OUT_ARGS = ("phys", "ranges", "pv", "phys_vec", "out")
#: Depth below which calls are not listed (keeps the path readable).
MAX_DEPTH = 6
#: Entries of one address list shown before "... n more".
MAX_ENTRIES = 4


@dataclass
class Explanation:
    calls: list = field(default_factory=list)          # [(depth, function)]
    handovers: list = field(default_factory=list)      # [(function, text)]


#: Lab files that wire a run together (topology loading, registries, sessions): not kernel code.
_WIRING = tuple(os.path.join(_LAB_ROOT, "dmabuf_lab", p) for p in (
    "hw" + os.sep, "revisions" + os.sep + "__init__.py", "revisions" + os.sep + "base.py",
    "drivers" + os.sep + "registry.py", "drivers" + os.sep + "common.py", "paths.py"))
_PACKAGE = os.path.join(_LAB_ROOT, "dmabuf_lab") + os.sep
#: Helpers of the lab's driver objects that are not kernel functions.
_NOT_PATH = {"on_mapped", "check_ret", "current_session", "bdf", "format_bdf", "PCI_SLOT", "PCI_FUNC",
             "PCI_DEVFN", "spec_device", "importer_dev", "device", "feature_dma_buf", "make_exporter",
             "make_importer", "find_spec"}


def _is_kernel_frame(frame) -> bool:
    path = frame.f_code.co_filename
    name = frame.f_code.co_name
    return (path.startswith(_PACKAGE) and not path.startswith(_HARNESS_DIRS)
            and not path.startswith(_KMODEL_DIR + os.sep) and not path.startswith(_WIRING)
            and not name.startswith(("_", "<")) and name not in _NOT_KERNEL and name not in _NOT_PATH
            and not name[:1].isupper())


def _kv(obj):
    try:
        return object.__getattribute__(obj, "_kv")
    except (AttributeError, TypeError):
        return None


def _items(obj):
    try:
        return list(object.__getattribute__(obj, "_items"))
    except (AttributeError, TypeError):
        return list(obj) if isinstance(obj, (list, tuple)) else None


def _hex(v) -> str:
    return hex(v) if isinstance(v, int) else str(v)


def _entry(x) -> str | None:
    kv = _kv(x)
    if kv is None:
        return None
    if "paddr" in kv and "len" in kv:
        return f"phys {_hex(kv['paddr'])}+{_hex(kv['len'])}"
    if "start" in kv and "end" in kv:
        return f"range [{_hex(kv['start'])}, {_hex(kv['end'])}]"
    if "addr" in kv and "order" in kv:
        return f"dpa {_hex(kv['addr'])} order {kv['order']}"
    return None


def _list_text(entries: list[str]) -> str:
    more = len(entries) - MAX_ENTRIES
    shown = entries[:MAX_ENTRIES] + ([f"... {more} more"] if more > 0 else [])
    return ", ".join(shown)


def describe_addresses(obj) -> str | None:
    """Text for an address-bearing object, or None when ``obj`` carries no addresses."""
    from dmabuf_lab.addr import sg_table

    if isinstance(obj, sg_table):
        from dmabuf_lab.addr import for_each_sgtable_dma_sg, sg_dma_address, sg_dma_len

        entries = [f"dma {_hex(sg_dma_address(sg))}+{_hex(sg_dma_len(sg))}"
                   for sg in for_each_sgtable_dma_sg(obj)]
        return f"sg_table ({len(entries)} DMA entries): {_list_text(entries)}" if entries else None
    one = _entry(obj)
    if one:
        return one
    items = _items(obj)
    if items is None:
        kv = _kv(obj)
        if kv is None:
            return None
        for member in kv.values():                      # one level down: a list inside a struct
            sub = _items(member)
            if sub:
                entries = [e for e in (_entry(x) for x in sub) if e]
                if entries:
                    return _list_text(entries)
            xa = _kv(member)
            if xa is None and hasattr(member, "entries"):
                entries = [e for e in (_entry(x) for x in getattr(member, "entries").values()) if e]
                if entries:
                    return _list_text(entries)
        return None
    entries = [e for e in (_entry(x) for x in items) if e]
    return _list_text(entries) if entries else None


def explain_run(run, *, construction: bool = False):
    """Call ``run()`` (one :func:`~dmabuf_lab.litmus.runner.run_once`) under the profiler hook;
    returns ``(verdict, Explanation)``.  ``run`` is called once before, unwatched, so that
    the driver modules it imports are loaded and their import does not show as a path.
    Calls are listed from the moment ``run_once()`` is entered, so building the topology
    (often ``run``'s argument) is left out unless ``construction`` is true."""
    from dmabuf_lab.kmodel.runtime import Kernel
    from dmabuf_lab.litmus.runner import run_once

    run()
    ex = Explanation()
    stack: list = []
    seen_handover: set = set()
    started = [construction]
    entry = run_once.__code__

    def note_handover(fn: str, obj) -> None:
        with Kernel(name="explain"):                   # reads here never touch the run's accounting
            try:
                text = describe_addresses(obj)
            except Exception:
                text = None
        if text and (fn, text) not in seen_handover:
            seen_handover.add((fn, text))
            ex.handovers.append((fn, text))

    def hook(frame, event, arg):
        if not started[0]:
            if event == "call" and frame.f_code is entry:
                started[0] = True
            return
        if event == "call":
            if _is_kernel_frame(frame):
                depth = len(stack)
                stack.append(frame)
                if depth < MAX_DEPTH:
                    ex.calls.append((depth, frame.f_code.co_name))
        elif event == "return":
            if stack and stack[-1] is frame:
                stack.pop()
                fn = frame.f_code.co_name
                if arg is not None and not isinstance(arg, (int, bool, str)):
                    note_handover(fn, arg)
                for name in _OUT_ARGS:
                    if name in frame.f_code.co_varnames[:frame.f_code.co_argcount] and name in frame.f_locals:
                        note_handover(f"{fn}({name})", frame.f_locals[name])

    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        verdict = run()
    finally:
        sys.setprofile(old)
    return verdict, ex


def _squeeze(calls: list) -> list:
    """Consecutive repeats of one call at one depth become ``name x N``."""
    out: list = []
    for depth, name in calls:
        if out and out[-1][0] == depth and out[-1][1] == name:
            out[-1][2] += 1
        else:
            out.append([depth, name, 1])
    return [(d, n if c == 1 else f"{n} x{c}") for d, n, c in out]


#: Column the -v block is wrapped at (names are never cut).
WIDTH = 100


def wrap_lines(lines: list[str], width: int = WIDTH) -> list[str]:
    """Each line over ``width`` wrapped at spaces, continued four columns deeper."""
    import textwrap

    out = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        lead = line[:len(line) - len(line.lstrip())]
        out += textwrap.wrap(line.strip(), width, initial_indent=lead, subsequent_indent=lead + "    ",
                             break_on_hyphens=False, break_long_words=False)
    return out


def render(verdict, ex: Explanation, indent: str = "  ", label=None) -> list[str]:
    """The -v block for one run: path, addresses handed over, findings with call chains
    (lines wrapped at :data:`WIDTH`).  ``label(finding)`` names each finding (default: its kind)."""
    return wrap_lines(_render(verdict, ex, indent, label or (lambda f: f.kind)))


def _render(verdict, ex: Explanation, indent: str, label) -> list[str]:
    lines = [f"{indent}path (modelled kernel functions, nesting by indent):"]
    for depth, name in _squeeze(ex.calls):
        lines.append(f"{indent}  {'  ' * depth}{name}")
    if ex.handovers:
        lines.append(f"{indent}addresses handed over (first function that returned them, then the others):")
        by_text: dict = {}
        for fn, text in ex.handovers:
            by_text.setdefault(text, []).append(fn)
        for text, fns in by_text.items():
            lines.append(f"{indent}  {text}")
            lines.append(f"{indent}    from {', '.join(fns)}")
    else:
        lines.append(f"{indent}addresses handed over: none")
    lines.append(f"{indent}outcome: {verdict.outcome}" + (f" at {verdict.step}" if verdict.step else "")
                 + (f" ({verdict.detail})" if verdict.detail else ""))
    if verdict.findings:
        lines.append(f"{indent}findings:")
        for f in verdict.findings:
            lines.append(f"{indent}  [{label(f)}] {f.message}")
            if f.chain:
                lines.append(f"{indent}    call chain: {' <- '.join(f.chain)}")
    return lines
