"""How a design revision plugs into the litmus runner.

A *revision* is one posted version of the dma-buf address-exchange design
(mainline, get-pfn, offer-list, rfc-v1, ...).  Its module in this package
models the core code of that version (``dma_buf_negotiate``,
``dma_buf_match_mapping``, ...) and exposes one :class:`Revision` object as
``REVISION``.  Exporters and importers written against that version live in
``dmabuf_lab/drivers/<driver>/<revision_module>.py``; see
``dmabuf_lab.drivers.registry``.

One run of one scenario under one revision goes like this (the runner in
``dmabuf_lab.litmus.runner`` does it; nothing here needs a scenario file)::

    with Kernel(fail_nth=k):                      # fresh kernel-runtime model
        s = Session(topology, exporter_spec, importer_spec, revision, variant)
        exp = registry.make_exporter(s)           # drivers/<exp>/<rev>.py
        imp = registry.make_importer(s)           # drivers/<imp>/<rev>.py
        s.dmabuf = exp.export()                   # KernelError -> errno verdict
        for step in steps:  attach | map | unmap | detach | revoke | move
        verdict.outcome = imp.kind                # "sgt-p2p", "pal", ...
        teardown: whatever the steps left behind is unmapped/detached/released

The driver objects only have to provide the small protocols
:class:`ExporterDriver` and :class:`ImporterDriver`; everything
revision-specific (offer lists, match lists, typed ops) stays inside the
revision module and the drivers written for it.

Variants: a revision that carries bugs lists them in ``Revision.bugs``
(name -> one line).  The variant ``posted`` (the default) models the patch
as sent; ``fixed`` applies every fix; ``fix-<bug>`` applies one.  Code asks
``session.fixed("bug-name")`` at the spot where the posted patch and the fix
differ.  Scenario files name a variant as ``"revision:variant"``.
A revision may also declare ``Revision.modes``: named alternatives that are
not fixes (get-pfn's two philosophies, the mapping types' conversion type);
code asks ``session.mode("name")`` / :func:`mode`.
"""
from __future__ import annotations

import contextlib
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from dmabuf_lab.core.session import current_session, enter_session, leave_session  # noqa: F401

#: What an importer ends up holding after a successful attach (+ map).
MAPPING_KINDS = ("sgt", "sgt-p2p", "iov", "pal", "dma-addr", "private", "pfn", "phys", "iommu-domain")

#: Verdicts that are neither a mapping kind nor an errno.
CRASH = "crash"                    # the modelled kernel oopsed (NULL dereference, BUG_ON)
CANNOT_EXPRESS = "cannot-express"  # the revision has no way to write this exporter/importer
SPECIAL_OUTCOMES = (CRASH, CANNOT_EXPRESS)
#: Outcomes that are never expected: the lab itself is at fault.
MODEL_ERROR = "model-error"        # a Python exception inside model code
NOT_AVAILABLE = "not-available"    # the revision's module is not in this tree

#: Finding kinds reported by the kernel-runtime model (dmabuf_lab.kmodel).
FINDING_KINDS = ("leak", "use-after-free", "double-free", "bad-free", "lock", "warn",
                 "uninitialised", "use-after-revoke", "mistranslation",
                 "overstated-segment", "no-mapping", "unowned-resource")

#: The operations a scenario can ask for, in the order a driver normally does them.
STEPS = ("attach", "map", "unmap", "detach", "revoke", "move")
#: Steps a thread of a concurrent scenario may also take.
THREAD_STEPS = STEPS + ("use", "invalidate", "re-enable", "release", "export-again", "close")
DEFAULT_STEPS = ("attach", "map", "unmap", "detach")

POSTED = "posted"
FIXED = "fixed"


class CannotExpress(Exception):
    """Raised by a driver factory: this revision cannot describe that driver or setup.

    The verdict becomes ``cannot-express`` (not an error): e.g. KVM under
    mainline, where no exporter can hand it a PFN.
    """


class Oops(Exception):
    """The modelled kernel crashed: a NULL pointer dereference or a BUG_ON.

    Model code raises it where the C would fault, through :func:`deref`.
    The verdict becomes ``crash`` and the message says where.
    """


class ModelError(Exception):
    """A Python error inside model code: a bug in the lab, never a kernel verdict."""


def deref(ptr: Any, member: str, where: str = "") -> Any:
    """``ptr->member`` with the C's behaviour for NULL: an :class:`Oops`."""
    if ptr is None:
        raise Oops(f"NULL pointer dereference reading ->{member}" + (f" in {where}" if where else ""))
    return getattr(ptr, member)


# --------------------------------------------------------------------------
# Specs: what a scenario (or the negotiation matrix) asks for.
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ExporterSpec:
    """Which driver exports what.

    ``ranges`` are ``(offset, length)`` pairs inside BAR ``bar`` of
    ``device`` (vfio-pci), or inside the exported object for other drivers.
    ``options`` holds driver-specific keys from the scenario's
    ``[exporter]`` table (e.g. xe's ``migratable``, ``memory``).
    """

    driver: str
    device: Optional[str] = None
    bar: Optional[int] = None
    ranges: tuple = ()
    options: dict = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


@dataclass(frozen=True)
class ImporterSpec:
    """Which driver imports, on which device, and how it attaches.

    ``dynamic`` None means the driver's usual choice.  ``options`` holds
    driver-specific keys (``allow_peer2peer``, ``attach_via``, ``offer`` ...).
    """

    driver: str
    device: Optional[str] = None
    dynamic: Optional[bool] = None
    options: dict = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)


# --------------------------------------------------------------------------
# The driver protocols.
# --------------------------------------------------------------------------

class ExporterDriver:
    """What the runner calls on an exporter.  Subclass and override.

    ``export()`` creates the dma_buf (raise KernelError or return an
    ERR_PTR-carrying error through :meth:`Session.check` on failure).
    ``revoke()``/``move()`` model the exporter taking the memory away or
    migrating it (both end in the revision's move_notify).  ``release()``
    drops the exporter's reference at teardown; it must be safe to call
    after a failed ``export()``.
    """

    def __init__(self, session: "Session"):
        self.s = session

    def export(self) -> Any:
        raise NotImplementedError

    def revoke(self) -> None:
        raise CannotExpress(f"{self.s.exporter.driver} cannot revoke under {self.s.revision.name}")

    def move(self) -> None:
        raise CannotExpress(f"{self.s.exporter.driver} cannot move under {self.s.revision.name}")

    def reenable(self) -> None:
        """Give revoked memory back (vfio: memory decoding on again)."""
        raise CannotExpress(f"{self.s.exporter.driver} cannot re-enable under {self.s.revision.name}")

    def close_device(self) -> None:
        """The exporting device goes away (vfio: the user closes the device)."""
        raise CannotExpress(f"{self.s.exporter.driver} cannot close its device under {self.s.revision.name}")

    def export_again(self) -> None:
        """A second buffer of the same memory from the same device (vfio: another
        VFIO_DEVICE_FEATURE_DMA_BUF)."""
        raise CannotExpress(f"{self.s.exporter.driver} cannot export again under {self.s.revision.name}")

    def release(self) -> None:
        pass


class ImporterDriver:
    """What the runner calls on an importer.  Subclass and override.

    ``kind`` is the mapping kind the importer negotiated or received (one of
    MAPPING_KINDS); set it as soon as it is known (after attach for
    negotiating revisions, after map for mainline).  ``teardown()`` undoes
    whatever is still mapped/attached; the default calls unmap/detach
    according to ``mapped``/``attached``.
    """

    kind: Optional[str] = None

    def __init__(self, session: "Session"):
        self.s = session
        self.attached = False
        self.mapped = False

    def attach(self, dmabuf: Any) -> None:
        raise NotImplementedError

    def map(self) -> None:
        raise NotImplementedError

    def unmap(self) -> None:
        raise NotImplementedError

    def detach(self) -> None:
        raise NotImplementedError

    def use(self) -> None:
        """Let the device do DMA through the mapping (a fenced job); concurrent scenarios only."""
        raise CannotExpress(f"{self.s.importer.driver} cannot model DMA use under {self.s.revision.name}")

    def teardown(self) -> None:
        if self.mapped:
            self.unmap()
        if self.attached:
            self.detach()


# --------------------------------------------------------------------------
# Revision and Session.
# --------------------------------------------------------------------------

@dataclass
class Revision:
    """One design revision.  Its module sets ``REVISION = Revision(...)``.

    ``module`` is the Python module name (``offer_list``); drivers for it live
    in ``drivers/<driver>/<module>.py``.  ``bugs`` names the reviewer-found
    (or lab-found) bugs the posted version carries, each with a fix
    selectable by variant.  ``run_hook`` (optional) lets a revision wrap a
    whole run, e.g. to reset per-run singletons.
    """

    name: str
    module: str
    title: str
    date: str
    #: The key of this revision's entry in docs/sources.md (e.g. ``mapping-types-rfc``).
    source: Optional[str]
    patch: str
    bugs: dict = field(default_factory=dict)
    run_hook: Optional[Callable[["Session"], None]] = None
    #: Named alternatives that are not bug fixes (name -> one line), e.g. the
    #: two philosophies of get-pfn; selected as ``"revision:<mode>"``.
    modes: dict = field(default_factory=dict)
    #: Bugs of an earlier revision whose code this one reuses and that this
    #: one fixes itself (name -> the commit or posting that fixed it): code
    #: asking ``fixed(bug)`` gets True in every variant.
    fixed_upstream: dict = field(default_factory=dict)

    @property
    def variants(self) -> tuple:
        """All variant names: posted, fixed, one fix-<bug> per bug, then the modes."""
        out = (POSTED,)
        if self.bugs:
            out += (FIXED,) + tuple(f"fix-{b}" for b in self.bugs)
        return out + tuple(self.modes)


class Session:
    """Everything one modelled run shares: specs, topology, revision, trace.

    Drivers keep their own state on their objects; ``Session.shared`` is a
    scratch dict for state that both sides of one run need (e.g. the
    exporter's VF device object the xe importer looks up).
    """

    def __init__(self, topology: Any, exporter: ExporterSpec, importer: ImporterSpec,
                 revision: Revision, variant: str = POSTED):
        if variant not in revision.variants:
            raise ValueError(f"{revision.name} has no variant {variant!r}; known: {revision.variants}")
        self.topology = topology
        self.exporter = exporter
        self.importer = importer
        self.revision = revision
        self.variant = variant
        self.dmabuf: Any = None
        self.trace: list[str] = []
        self.shared: dict = {}
        # filled in by the runner when the run ends
        self.outcome: Optional[str] = None
        self.failed_step: Optional[str] = None
        self.detail = ""

    def fixed(self, bug: str) -> bool:
        """True when this run applies the fix for ``bug`` (posted: never, unless the
        revision itself carries the fix, see ``Revision.fixed_upstream``)."""
        if bug in self.revision.fixed_upstream:
            return True
        if bug not in self.revision.bugs:
            raise ModelError(f"{self.revision.name} does not declare bug {bug!r}")
        return self.variant == FIXED or self.variant == f"fix-{bug}"

    def mode(self, name: str) -> bool:
        """True when this run selected the revision's mode ``name``."""
        if name not in self.revision.modes:
            raise ModelError(f"{self.revision.name} does not declare mode {name!r}")
        return self.variant == name

    def log(self, msg: str) -> None:
        """Append one line to the run's trace (shown by ``litmus --json``)."""
        self.trace.append(msg)


def fixed(bug: str) -> bool:
    """True when the run in progress applies the fix for ``bug`` (False outside a run)."""
    s = current_session()
    return s is not None and s.fixed(bug)


def mode(name: str) -> bool:
    """True when the run in progress selected mode ``name`` (False outside a run)."""
    s = current_session()
    return s is not None and s.mode(name)


@contextlib.contextmanager
def session_scope(s: Session):
    """``s`` is the current session inside the ``with`` block (:func:`enter_session` /
    :func:`leave_session` around it); yields ``s``."""
    token = enter_session(s)
    try:
        yield s
    finally:
        leave_session(token)


# --------------------------------------------------------------------------
# Verdict.
# --------------------------------------------------------------------------

@dataclass
class Verdict:
    """The result of one run: the outcome and what the checker found.

    ``outcome`` is a mapping kind, an errno name (``-EOPNOTSUPP``), ``crash``
    or ``cannot-express``; ``step`` names the step that failed (``export``,
    ``attach``, ``map`` ...) or None.  ``findings`` are kmodel Finding
    objects; ``finding_kinds`` their sorted distinct kinds.
    """

    revision: str
    variant: str
    outcome: str
    step: Optional[str] = None
    findings: list = field(default_factory=list)
    trace: list = field(default_factory=list)
    detail: str = ""
    nr_allocs: int = 0
    alloc_sites: list = field(default_factory=list)
    # facts the run needed that the topology's source does not show (pci.p2pdma), each taken
    # against P2P unless the topology says otherwise
    unknowns: list = field(default_factory=list)

    @property
    def target(self) -> str:
        return self.revision if self.variant == POSTED else f"{self.revision}:{self.variant}"

    @property
    def finding_kinds(self) -> list:
        return sorted({f.kind for f in self.findings})

    def as_dict(self) -> dict:
        return {
            "revision": self.revision, "variant": self.variant, "outcome": self.outcome,
            "step": self.step, "findings": [
                {"kind": f.kind, "message": getattr(f, "message", ""), "site": getattr(f, "site", ""),
                 "chain": list(getattr(f, "chain", ()))}
                for f in self.findings],
            "trace": list(self.trace), "detail": self.detail, "nr_allocs": self.nr_allocs,
            "unknowns": list(self.unknowns),
        }


def format_exception_brief(exc: BaseException) -> str:
    """One line naming the innermost model frame, for ModelError reports."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno} {tb[-1].name}" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"
