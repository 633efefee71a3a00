"""One interleaving of a concurrent scenario: run its threads under one schedule.

:func:`run_interleaving` exports the buffer, starts one model thread per
scenario thread (each runs its steps against the shared exporter and
importer), and lets a ``choose`` callback pick, at every point where more
than one thread could go on, which one does.  It returns an
:class:`Execution`: the transitions taken, each thread's result, and the
properties that failed:

``use-after-revoke``
    the importer's device did DMA through addresses after the exporter's
    revoke or move had completed (vfio: decoding already off; xe: the BO
    already moved);
``map-after-revoke``
    the exporter handed out a mapping of a buffer it had revoked;
``lock-assert``
    a lock assertion failed (``dma_resv_assert_held`` and friends);
``deadlock``
    no thread can go on but some have not finished (the wait-for cycle, or
    the wait nothing will end), or the locks were taken in an order that
    forms a cycle (lockdep's inversion report);
``orphan-mapping``
    at the end the exporter still counts a mapping the importer no longer
    holds: nobody will ever unmap it;

plus every finding kind the kernel-runtime model reports (``leak``,
``warn``, ``lock`` ...).

When a thread closes the buffer, each importer holds its own reference on
the buffer's file from its attach (``dma_buf_get()`` of the owner's fd, as
a driver's import ioctl does; the step fails with -EBADF once the fd is
closed) until its detach (``dma_buf_put()``); without a ``close`` the
owner's reference outlives every importer and those gets and puts change
nothing, so they are left out (they would only add interleavings).  The ``close`` step is user space closing the
dma-buf: the owner's fd and reference go, and the last ``fput()`` of the
file, whichever thread drops it, runs ``dma_buf_release()`` and the
exporter's release.  A scenario may give several importers
(``[importers.<name>]``); each thread's importer steps act on the one it names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from dmabuf_lab.kmodel.sched import Op, Scheduler
from dmabuf_lab.litmus.scenario import DEFAULT_IMPORTER

#: The properties checked on every interleaving, besides the model's findings.
RACE_PROPERTIES = ("use-after-revoke", "map-after-revoke", "lock-assert", "deadlock", "orphan-mapping")

#: Which side of the run a thread step acts on, and the driver method it calls.
IMPORTER_STEPS = {"attach": "attach", "map": "map", "use": "use", "unmap": "unmap", "detach": "detach"}
EXPORTER_STEPS = {"revoke": "revoke", "move": "move", "invalidate": "move", "re-enable": "reenable",
                  "release": "close_device", "export-again": "export_again", "close": "release"}

#: ``choose`` returns this when every runnable thread is asleep (sleep-set pruning).
BLOCKED = -1


@dataclass
class Execution:
    """The result of one interleaving."""

    schedule: list = field(default_factory=list)          # tid chosen at each point
    trace: list = field(default_factory=list)             # (tid, Op) per transition
    results: dict = field(default_factory=dict)           # thread name -> "ok" / "-ENODEV at map" ...
    properties: dict = field(default_factory=dict)        # property -> first message
    thread_names: list = field(default_factory=list)
    blocked: bool = False                                  # cut short by sleep-set pruning
    outcome: str = ""                                      # "ok", or why the run could not start
    end_state: tuple = ()

    @property
    def signature(self) -> tuple:
        """What tells two outcomes apart: thread results, failed properties, end state."""
        return (tuple(sorted(self.results.items())), tuple(sorted(self.properties)), self.end_state)

    def to_dict(self) -> dict:
        """Plain JSON data; :meth:`from_dict` restores the tuples (trace steps, end state)."""
        return {"schedule": list(self.schedule), "trace": [[tid, op.to_dict()] for tid, op in self.trace],
                "results": dict(self.results), "properties": dict(self.properties),
                "thread_names": list(self.thread_names), "blocked": self.blocked, "outcome": self.outcome,
                "end_state": [list(pair) for pair in self.end_state]}

    @classmethod
    def from_dict(cls, data) -> "Execution":
        try:
            return cls(schedule=[int(t) for t in data["schedule"]],
                       trace=[(int(tid), Op.from_dict(op)) for tid, op in data["trace"]],
                       results=dict(data["results"]), properties=dict(data["properties"]),
                       thread_names=list(data["thread_names"]), blocked=bool(data["blocked"]),
                       outcome=str(data["outcome"]), end_state=tuple(tuple(p) for p in data["end_state"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Execution: expected a dict of schedule, trace, results, properties, thread_names, "
                             f"blocked, outcome and end_state; {type(exc).__name__}: {exc}") from None


class _ImporterView:
    """The run's session as one importer sees it: its own ``importer`` spec, all else shared."""

    def __init__(self, session, spec):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "importer", spec)

    def __getattr__(self, name):
        return getattr(object.__getattribute__(self, "_session"), name)

    def __setattr__(self, name, value):
        setattr(object.__getattribute__(self, "_session"), name, value)


class _Importer:
    """One importer of the run and the file reference it holds between attach and detach."""

    def __init__(self, name: str, driver, takes_ref: bool):
        self.name = name
        self.driver = driver
        self.takes_ref = takes_ref   # hold a file reference (only when some thread closes the file)
        self.ref = None              # the dma_buf it got from the fd, while it holds the reference


def _get_ref(exp, dmabuf):
    """dma_buf_get() of the owner's fd (a static file reference when there is no fd);
    -EBADF once the owner has closed it, as the lookup of a closed fd answers."""
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_get
    from dmabuf_lab.kmodel import EBADF, ERR_PTR, is_freed
    from dmabuf_lab.kmodel.sched import atomic

    fd = getattr(exp, "fd", None)
    if fd is not None:
        return dma_buf_get(fd)
    # No fd: the lookup is still one action that never revives a file a close already
    # took to zero (fget()'s inc-not-zero), nor touches one already freed.
    if getattr(exp, "dmabuf", dmabuf) is None or is_freed(dmabuf):
        return ERR_PTR(-EBADF)
    f = dmabuf.file
    with atomic(f, "f_count"):
        live = not is_freed(f) and f.f_count > 0
        if live:
            f.f_count += 1
    return dmabuf if live else ERR_PTR(-EBADF)


def _put_ref(imp: _Importer) -> None:
    from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_put

    if imp.ref is not None:
        ref, imp.ref = imp.ref, None
        dma_buf_put(ref)


def _dispatch(step: str, exp, imp: _Importer, dmabuf) -> None:
    """One thread step, run as a system call of a user task (every step is one: an
    importer's ioctl, a config-space write, closing an fd), so a final fput() inside it
    is deferred to the return to user space as fs/file_table.c does for a task."""
    from dmabuf_lab.core.file import syscall

    with syscall():
        _step(step, exp, imp, dmabuf)


def _step(step: str, exp, imp: _Importer, dmabuf) -> None:
    from dmabuf_lab.kmodel import IS_ERR, PTR_ERR
    from dmabuf_lab.kmodel.errno import KernelError

    if step in IMPORTER_STEPS:
        m = IMPORTER_STEPS[step]
        drv = imp.driver
        if m == "attach":
            if imp.takes_ref and imp.ref is None:
                ref = _get_ref(exp, dmabuf)
                if IS_ERR(ref):
                    raise KernelError(PTR_ERR(ref), f"{imp.name}: dma_buf_get")
                imp.ref = ref
            try:
                drv.attach(imp.ref if imp.ref is not None else dmabuf)
            except BaseException:
                _put_ref(imp)
                raise
        elif m == "detach":
            drv.detach()
            if not getattr(drv, "attached", False):
                _put_ref(imp)
        else:
            getattr(drv, m)()
    elif step == "close":        # close(2) of the owner's fd, and the lab's own reference
        exp.release()
    else:
        getattr(exp, EXPORTER_STEPS[step])()


def _end_state(s, importers: list) -> tuple:
    """What the run ended with: each importer's mapped / attached, and vfio's ``revoked``
    (None once the buffer was released).  The first importer's entries keep their old names."""
    from dmabuf_lab.kmodel import is_freed

    priv = s.shared.get("vfio_priv")
    out = []
    for i, imp in enumerate(importers):
        pre = "importer" if i == 0 else imp.name
        out += [(f"{pre}-mapped", bool(getattr(imp.driver, "mapped", False))),
                (f"{pre}-attached", bool(getattr(imp.driver, "attached", False)))]
    live = priv is not None and not is_freed(priv)
    out.append(("revoked", bool(getattr(priv, "revoked", False)) if live else None))
    return tuple(out)


def _orphans(imp) -> Optional[str]:
    att = getattr(imp, "attachment", None)
    n = getattr(att, "nr_mappings", 0) if att is not None else 0
    held = 1 if getattr(imp, "mapped", False) else 0
    if n > held:
        return (f"the exporter still counts {n} mapping(s) of {getattr(imp, 'name', 'the importer')}, "
                f"which holds {held}: nobody will unmap the rest")
    return None


def _lock_cycle(edges: dict) -> Optional[str]:
    graph: dict = {}
    for (a, b) in edges:
        graph.setdefault(a, []).append(b)

    def walk(node, path):
        for nxt in graph.get(node, []):
            if nxt in path:
                cyc = path[path.index(nxt):] + [nxt]
                return cyc
            found = walk(nxt, path + [nxt])
            if found:
                return found
        return None

    for start in sorted(graph):
        cyc = walk(start, [start])
        if cyc:
            steps = [f"{a} -> {b} (in {edges[(a, b)]})" for a, b in zip(cyc, cyc[1:])]
            return "lock-order inversion: " + "; ".join(steps)
    return None


def _deadlock(sched: Scheduler) -> str:
    """Describe why no thread can go on: a wait-for cycle, or a wait nothing will end."""
    ts = sched.threads
    waits = {}
    for t in ts:
        if t.done:
            continue
        who = list(t.waits_for()) if t.waits_for is not None else None
        waits[t.tid] = who

    def desc(tid):
        t = ts[tid]
        op = t.pending
        return f"{t.name} in {op.func}: {op.label}" if op is not None else t.name

    for start in waits:
        path, cur = [start], start
        while True:
            nxt = [w for w in (waits.get(cur) or []) if w in waits]
            if not nxt:
                break
            cur = nxt[0]
            if cur in path:
                cyc = path[path.index(cur):] + [cur]
                return "wait-for cycle: " + " -> ".join(desc(x) for x in cyc)
            path.append(cur)
    parts = []
    for tid, who in waits.items():
        if not who:
            parts.append(f"{desc(tid)}, which nothing left running will end")
        else:
            names = ", ".join(ts[w].name + (" (finished)" if ts[w].done else "") for w in who)
            parts.append(f"{desc(tid)}, waiting for {names}")
    return "a wait that never finishes: " + "; ".join(parts)


def run_interleaving(scenario, target: str, choose: Callable, *, max_steps: int = 20000) -> Execution:
    """Run ``scenario``'s threads under ``target`` (``revision[:variant]``).

    ``choose(depth, enabled, ops)`` gets the index of the decision, the
    runnable thread ids and the pending :class:`Op` of every unfinished
    thread, and returns the thread to run (or :data:`BLOCKED` to abandon the
    run).  Raises :class:`RaceSetupError` when the revision cannot express
    the scenario or a thread hit a bug in the model.
    """
    from dmabuf_lab.drivers import registry
    from dmabuf_lab.kmodel.errno import KernelError
    from dmabuf_lab.kmodel.runtime import Kernel
    from dmabuf_lab.revisions import get_revision, split_target
    from dmabuf_lab.revisions.base import CannotExpress, Oops, Session, session_scope

    rev_name, variant = split_target(target)
    rev = get_revision(rev_name)
    k = Kernel(name=f"{rev_name}:{variant}")
    s = Session(scenario.fresh_topology(), scenario.exporter, scenario.importer, rev, variant)
    ex = Execution(thread_names=[name for name, _ in scenario.threads])
    with session_scope(s), k:
        try:
            if rev.run_hook is not None:
                rev.run_hook(s)
            exp = registry.make_exporter(s)
            closes = any("close" in steps for _, steps in scenario.threads)
            importers = [_Importer(DEFAULT_IMPORTER, registry.make_importer(s), closes)]
            for name, spec in scenario.importers:
                importers.append(_Importer(name, registry.make_importer(_ImporterView(s, spec)), closes))
            by_name = {i.name: i for i in importers}
            dmabuf = s.dmabuf = exp.export()
        except CannotExpress as exc:
            k.ended = True
            raise RaceSetupError(f"cannot-express: {exc}") from None
        except KernelError as exc:
            ex.outcome = f"export failed: {exc.name}"
            k.ended = True
            return ex

        sched = Scheduler()
        crashed: list = []
        problems: list = []

        def make_body(name, steps):
            imp = by_name[scenario.thread_importers.get(name, DEFAULT_IMPORTER)]

            def body():
                for step in steps:
                    try:
                        _dispatch(step, exp, imp, dmabuf)
                    except KernelError as exc:
                        ex.results[name] = f"{exc.name} at {step}"
                        return
                    except Oops as exc:
                        ex.results[name] = f"crash at {step}"
                        crashed.append(str(exc))
                        return
                    except CannotExpress as exc:
                        problems.append(f"cannot-express: {exc}")
                        return
                ex.results[name] = "ok"
            return body

        for name, steps in scenario.threads:
            sched.spawn(name, make_body(name, steps))
        deadlocked = None
        try:
            sched.start()
            depth = 0
            while not sched.finished():
                enabled = sched.enabled()
                if not enabled:
                    deadlocked = _deadlock(sched)
                    break
                ops = {t.tid: t.pending for t in sched.threads if not t.done}
                tid = choose(depth, enabled, ops)
                if tid == BLOCKED:
                    ex.blocked = True
                    break
                ex.schedule.append(tid)
                sched.step(tid)
                depth += 1
                if depth > max_steps:
                    problems.append(f"more than {max_steps} transitions: the model does not terminate")
                    break
        finally:
            ex.trace = list(sched.trace)
            sched.close()
        errors = [t for t in sched.threads if t.error is not None]
        if errors:
            t = errors[0]
            k.ended = True
            raise RaceSetupError(f"model error in thread {t.name}: {type(t.error).__name__}: {t.error}")
        if problems:
            k.ended = True
            raise RaceSetupError(problems[0])
        if ex.blocked:
            k.ended = True
            return ex

        props = ex.properties
        for prop, msg, func in s.shared.get("observations", []):
            props.setdefault(prop, f"{msg} (in {func})")
        if deadlocked:
            props["deadlock"] = deadlocked
        inversion = _lock_cycle(sched.lock_edges)
        if inversion:
            props.setdefault("deadlock", inversion)
        if crashed:
            props.setdefault("crash", crashed[0])
        for name, _ in scenario.threads:
            ex.results.setdefault(name, "blocked" if deadlocked else "crash")
        ex.end_state = _end_state(s, importers)
        if not deadlocked and not crashed:
            for imp in importers:
                orphan = _orphans(imp.driver)
                if orphan:
                    props.setdefault("orphan-mapping", orphan)
            try:
                for imp in importers:
                    imp.driver.teardown()
                    _put_ref(imp)
                exp.release()
            except KernelError:
                pass
            except Oops as exc:
                props.setdefault("crash", f"in teardown: {exc}")
        else:
            k.ended = True
    for f in k.findings:
        kind = f.kind
        if kind == "lock" and "assert" in f.message:
            kind = "lock-assert"
        props.setdefault(kind, f"{f.message} at {f.site}")
    ex.outcome = "ok"
    return ex


class RaceSetupError(Exception):
    """The scenario cannot run under this target (cannot-express, a model bug)."""


__all__ = ["RACE_PROPERTIES", "BLOCKED", "Execution", "Op", "run_interleaving", "RaceSetupError"]
