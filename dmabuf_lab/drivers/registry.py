"""Which exporter and importer drivers exist under which revision.

A driver is written once per revision that can express it, as
``dmabuf_lab/drivers/<package>/<revision_module>.py``, e.g.
``drivers/xe/rfc_v1.py`` or ``drivers/vfio_pci/mapping_types_2026_02.py``.
That module defines ``make_exporter(session)`` and/or
``make_importer(session)``, returning an
:class:`~dmabuf_lab.revisions.base.ExporterDriver` /
:class:`~dmabuf_lab.revisions.base.ImporterDriver`.

A (driver, revision) pair with no module, or a module without the factory
for the role, *cannot be expressed* in that revision: the runner reports
``cannot-express`` for it, distinct from any kernel error.  A factory may
also raise ``CannotExpress`` for one particular setup (e.g. a static
attachment in a revision that only has dynamic importers).

Driver options: every key a driver reads with ``spec.option(key)`` (from a
scenario's ``[exporter]`` / ``[importer]`` table) is declared here, per
driver and role, as a :class:`DriverOption` with a one-line meaning, the
revisions whose driver code reads it and the values it takes.  The
scenario loader rejects any other key (:func:`check_options`), so a typo
cannot silently change nothing.  Callers that build specs by hand (the
negotiation matrix, notebooks) are not checked unless they call
:func:`check_options` themselves.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Optional

from dmabuf_lab.revisions import REVISIONS, canonical
from dmabuf_lab.revisions.base import CannotExpress, ExporterDriver, ImporterDriver, Session

EXPORTER = "exporter"
IMPORTER = "importer"


@dataclass(frozen=True)
class DriverInfo:
    """A driver as scenarios name it.

    ``roles`` says whether it can export, import or both (in some revision);
    ``dynamic`` is its usual attachment style when a scenario does not say.
    """

    name: str
    package: str
    roles: tuple
    dynamic: bool
    summary: str
    exporter_options: tuple = ()    # DriverOption, the keys its [exporter] table may add
    importer_options: tuple = ()    # DriverOption, the keys its [importer] table may add

    def options(self, role: str) -> dict:
        """Option name -> :class:`DriverOption` for ``role`` ("exporter" / "importer")."""
        opts = self.exporter_options if role == EXPORTER else self.importer_options
        return {o.name: o for o in opts}


@dataclass(frozen=True)
class DriverOption:
    """One driver option a scenario may set.

    ``kind`` is the TOML type (``bool``, ``int``, ``str``, ``list``) or
    ``bdf``, a string naming a device the scenario's topology must have;
    ``choices`` the allowed strings (for a list: of its elements);
    ``revisions`` the revisions whose driver code reads the option (empty:
    all); elsewhere it is accepted and ignored, since one scenario runs
    under many revisions.
    """

    name: str
    meaning: str
    kind: str = "bool"
    revisions: tuple = ()
    choices: tuple = ()
    default: str = ""

    def check(self, value) -> Optional[str]:
        """None when ``value`` fits; else what is wrong, in words."""
        if self.kind == "bool":
            ok = isinstance(value, bool)
        elif self.kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        elif self.kind in ("str", "bdf"):
            ok = isinstance(value, str) and bool(value)
        else:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not ok:
            want = {"bool": "true or false", "int": "a positive integer", "str": "a non-empty string",
                    "bdf": "a PCI address string", "list": "a list of strings"}[self.kind]
            return f"expected {want}, got {value!r}"
        if self.choices:
            vals = value if isinstance(value, list) else [value]
            bad = [v for v in vals if v not in self.choices]
            if bad:
                return f"{bad[0]!r} is not one of {list(self.choices)}"
            if isinstance(value, list) and (not value or len(set(value)) != len(value)):
                return f"expected a non-empty list of distinct names from {list(self.choices)}, got {value!r}"
        return None


#: Options every exporter takes.
_UNCHECKED_RANGES = DriverOption(
    "unchecked_ranges", "hand the ranges to the kernel without the loader's zero-length and "
    "past-the-BAR checks", default="false")
_MOVE_NOTIFY_GET_PFN = ("get-pfn",)
_MOVE_NOTIFY_VFIO = ("mainline-6.19", "get-pfn")
#: xe reads it wherever its exporter runs on the 6.19 core with pin (mainline-6.19 and the
#: interconnect RFCs), and the RFC's match list; the March 2026 branch no longer has it.
_MOVE_NOTIFY_XE = ("mainline-6.19", "get-pfn", "rfc-v1", "rfc-v2", "mapping-types-2026-02")


def _move_notify(revisions: tuple) -> DriverOption:
    return DriverOption("dmabuf_move_notify", "CONFIG_DMABUF_MOVE_NOTIFY for this run (get-pfn: "
                        "dma_buf_get_pfn_unlocked() refuses a pinnable buffer without it"
                        + ("; mainline-6.19: without it every importer is pinned at map and vfio's "
                           "pin fails" if revisions == _MOVE_NOTIFY_VFIO else "")
                        + ("; mapping-types-2026-02: xe lists SGT_P2P only with it" if
                           "mapping-types-2026-02" in revisions else "")
                        + ("; mainline-6.19, rfc-v1, rfc-v2: without it every importer is pinned at map "
                           "and xe's pin moves the BO to system memory, -EINVAL when it may not go there"
                           if revisions == _MOVE_NOTIFY_XE else "") + ")",
                        revisions=revisions, default="false (the lab's kernel config)")


#: Importer options of every driver written on the mainline sg_table importer
#: (dmabuf_lab.drivers.sgt_importer.SgtImporter) and on its rfc-v1 form.
_ALLOW_P2P = DriverOption(
    "allow_peer2peer", "importer_ops.allow_peer2peer of a dynamic attach (the importer can "
    "reach PCI peers)", default="the value of dynamic")
_ATTACH_VIA = DriverOption(
    "attach_via", "\"dynamic-null-ops\": attach through dma_buf_dynamic_attach(dmabuf, dev, NULL, "
    "NULL), as some static drivers do, instead of dma_buf_attach() / dma_buf_dynamic_attach() with "
    "importer_ops (which of those two is `dynamic`'s choice)", kind="str",
    choices=("dynamic-null-ops",), default="as `dynamic` says")
_MAP_VIA = DriverOption(
    "map_via", "\"interconnect\": call dma_buf_map_interconnect() itself instead of mapping an "
    "sg_table, to probe the core's checks", kind="str", revisions=("rfc-v1",),
    choices=("sgt", "interconnect"), default="sgt")
_HOLD_RESV = DriverOption(
    "hold_resv", "false: with map_via = \"interconnect\", call dma_buf_map_interconnect() without "
    "taking the reservation lock",
    revisions=("rfc-v1",), default="true")
_MAINLINES = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")
_DEFERRED_UNMAP = DriverOption(
    "deferred_unmap", "the move_notify / invalidate_mappings callback only schedules the unmap, "
    "which a worker does later (as GPU drivers do); vfio 6.19 returns from revoke before it, 7.1 "
    "and later wait for it", revisions=_MAINLINES, default="false")
#: Where the RDMA driver can register a pinned MR through the umem_dmabuf.c twins: the mainline
#: releases, and the review plan's last step, which runs the 7.x importer.
_UMEM_REVS = _MAINLINES + ("mapping-types-2026-05",)
_SGT_IMPORTER_REVS = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6", "get-pfn", "rfc-v1", "rfc-v2", "mapping-types-2025-10",
                      "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05")


DRIVERS = {
    d.name: d for d in (
        DriverInfo("vfio-pci", "vfio_pci", (EXPORTER,), True,
                   "vfio-pci: exports MMIO slices of a PF or VF BAR",
                   exporter_options=(
                       DriverOption("memory_enabled", "false: export while memory decoding is off, "
                                    "so the buffer is born revoked", default="true"),
                       DriverOption("bar_mapped", "user space read or mmapped the BAR before the export "
                                    "(QEMU maps every BAR), so 6.19's lazy vfio_pci_core_setup_barmap() "
                                    "claimed its window; false: nothing claimed it (7.1+ claim at open)",
                                    revisions=("mainline-6.19",), default="true"),
                       DriverOption("bar_held_by", "name of another driver that claimed the exported BAR's "
                                    "window before vfio opened the device (a boot framebuffer, say): "
                                    "vfio's own claim then fails with -EBUSY", kind="str",
                                    revisions=_MAINLINES, default="none"),
                       DriverOption("rlimit_nofile", "RLIMIT_NOFILE of the process that asks for the buffer; "
                                    "3 leaves no free fd, so dma_buf_fd() fails with -EMFILE",
                                    kind="int", default="1024"),
                       DriverOption("pal_only", "declare only [PAL] (Jason's \"vfio PAL-only\" step); "
                                    "SGT importers then need the conversion mode",
                                    revisions=("mapping-types-2025-10",), default="false"),
                       _move_notify(_MOVE_NOTIFY_VFIO),
                       _UNCHECKED_RANGES)),
        DriverInfo("xe", "xe", (EXPORTER, IMPORTER), True,
                   "Intel xe: exports VRAM BOs; the PF imports its VFs' VRAM BAR slices",
                   exporter_options=(
                       DriverOption("size", "size of the exported VRAM BO in bytes", kind="int",
                                    default="sum of the range lengths, else 2 MiB"),
                       DriverOption("migratable", "the BO may move to system memory "
                                    "(xe_bo_can_migrate(bo, XE_PL_TT))", default="true"),
                       DriverOption("cpu_visible", "false: the BO lies in VRAM beyond the CPU-visible "
                                    "BAR (small BAR / device-private): no PFN and no BAR address",
                                    revisions=("get-pfn",), default="true"),
                       _move_notify(_MOVE_NOTIFY_XE),
                       _UNCHECKED_RANGES),
                   importer_options=(
                       dataclasses.replace(_ALLOW_P2P, revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6", "get-pfn",
                                                                  "mapping-types-2026-02", "mapping-types-2026-03",
                                                                   "mapping-types-2026-05")),
                       dataclasses.replace(_ATTACH_VIA, revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6", "get-pfn",
                                                                   "mapping-types-2026-02", "mapping-types-2026-03",
                                                                   "mapping-types-2026-05")),
                       _DEFERRED_UNMAP,
                       DriverOption("bo_init_oom", "fail the first N allocations under xe_bo_init_locked() "
                                    "with -ENOMEM (kmodel's call-chain fault filter): 1 is one OOM the "
                                    "validation guard retries, 2 an import whose BO init fails",
                                    kind="int", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2",
                                                           "mainline-7.3-rc6",
                                                           "mapping-types-2026-05"),
                                    default="0"),
                       DriverOption("dummy_obj_oom", "the import's allocation of the dummy GEM object it "
                                    "locks the buffer through (drm_gpuvm_resv_object_alloc()) fails "
                                    "(kmodel's call-chain fault filter)",
                                    revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2",
                                               "mainline-7.3-rc6", "mapping-types-2026-05"),
                                    default="false"),
                       DriverOption("offer", "the PF's offer list, in order, from \"bar-slice\" (PCI "
                                    "BAR slice of its LMEM BAR), \"vram\" (its own VRAM), "
                                    "\"dma-addr\" (generic dma_addr_t)", kind="list",
                                    revisions=("offer-list",), choices=("bar-slice", "vram", "dma-addr"),
                                    default='["bar-slice", "vram", "dma-addr"]'),
                       dataclasses.replace(_HOLD_RESV, meaning="false: xe_bo_move_dmabuf() validates "
                                           "without taking the reservation lock"),
                       DriverOption("drm_xe_debug", "CONFIG_DRM_XE_DEBUG: xe_assert() is live (checks "
                                    "xe_bo_addr()'s page_size contract)", revisions=("rfc-v1",),
                                    default="false"),
                       DriverOption("ic_map_unconditionally", "call dma_buf_iov_map() whatever allow_ic "
                                    "says and never fall back to the sg_table (probes the core's checks)",
                                    revisions=("rfc-v2",), default="false"))),
        DriverInfo("nvgrace-egm", "nvgrace_egm", (EXPORTER,), True,
                   "nvgrace-gpu Extended GPU Memory: exports slices of the EGM region, PAL only "
                   "(on the 2026-02 mapping-type API; ankita-nv/linux, not mainline)",
                   exporter_options=(
                       DriverOption("egm_size", "size in bytes of the EGM region the slices lie in",
                                    kind="int", revisions=("mapping-types-2026-02",), default="1 GiB"),
                       DriverOption("rlimit_nofile", "RLIMIT_NOFILE of the process that asks for the buffer; "
                                    "3 leaves no free fd, so dma_buf_fd() fails with -EMFILE",
                                    kind="int", revisions=("mapping-types-2026-02",), default="1024"),
                       _UNCHECKED_RANGES)),
        DriverInfo("rdma-uverbs", "rdma_uverbs", (EXPORTER,), True,
                   "an RDMA NIC (mlx5) exporting one mmap entry's BAR range as a uverbs dma-buf "
                   "(drivers/infiniband/core/uverbs_std_types_dmabuf.c, from 7.0)",
                   exporter_options=(_UNCHECKED_RANGES,)),
        DriverInfo("system", "system_heap", (EXPORTER,), True,
                   "the system dma-heap: pages of system RAM",
                   exporter_options=(_move_notify(_MOVE_NOTIFY_GET_PFN), _UNCHECKED_RANGES)),
        DriverInfo("iommufd", "iommufd", (IMPORTER,), True,
                   "iommufd: maps the buffer at a user IOVA; wants physical addresses",
                   importer_options=(
                       DriverOption("access_pin", "after the map, an in-kernel access (an emulated device) "
                                    "pins the area's first page through iopt_area_add_access()",
                                    revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2",
                                               "mainline-7.3-rc6"), default="false"),)),
        DriverInfo("kvm", "kvm", (IMPORTER,), True,
                   "KVM: maps the buffer into guest physical space; wants PFNs/physical addresses",
                   importer_options=(
                       DriverOption("slot_size", "size in bytes of the guest memslot bound to the "
                                    "dma-buf (kvm_vfio_dmabuf_bind refuses a mismatch: -EINVAL)",
                                    kind="int", revisions=("get-pfn",), default="the dma-buf's size"),)),
        DriverInfo("rdma", "rdma", (IMPORTER,), True,
                   "RDMA (mlx5-like): consumes DMA addresses, needs the whole list to size its page table",
                   importer_options=(
                       dataclasses.replace(_ALLOW_P2P, revisions=_SGT_IMPORTER_REVS),
                       dataclasses.replace(_ATTACH_VIA, revisions=_SGT_IMPORTER_REVS),
                       _MAP_VIA, _HOLD_RESV, _DEFERRED_UNMAP,
                       DriverOption("wants", "what it lists, in its order of preference: \"dma-addr\" "
                                    "(generic dma_addr_t / SGT accepting P2P), \"phys\" (phys_addr_t / "
                                    "PAL); under the mapping types it then plays a converted importer",
                                    kind="list", revisions=("offer-list", "mapping-types-2025-10", "mapping-types-2026-05",
                                                             "mapping-types-2026-02", "mapping-types-2026-03"),
                                    choices=("dma-addr", "phys"),
                                    default='["dma-addr"]; mapping types: unconverted'),
                       DriverOption("pinned", "register a pinned MR (ib_umem_dmabuf_get_pinned(): attach, "
                                    "pin and map in one call, unmapped only at deregistration), as a NIC "
                                    "without on-demand paging does", revisions=_UMEM_REVS, default="false"),
                       DriverOption("revocable", "register a pinned MR that a revoke ends "
                                    "(ib_umem_dmabuf_get_pinned_revocable_and_lock(), 7.1 and later; "
                                    "earlier: cannot-express)", revisions=_UMEM_REVS, default="false"),
                       DriverOption("fail_nth", "with pinned or revocable: fail the n-th allocation of "
                                    "the registration (the task's fail-nth written just before it)",
                                    kind="int", revisions=_UMEM_REVS, default="none"),
                       DriverOption("invalidate_callback", "false: the dynamic attach's importer_ops carry "
                                    "allow_peer2peer and no move_notify / invalidate_mappings, as "
                                    "ib_umem_dmabuf_attach_pinned_ops after 575157b1b5fc (6.19's core "
                                    "refuses such ops: WARN, -EINVAL)", revisions=_UMEM_REVS,
                                    default="true"),
                       DriverOption("pin_after_attach", "dma_buf_pin() under the reservation lock right after "
                                    "the dynamic attach, callback kept (the shape of a pinned MR that can "
                                    "be revoked); dma_buf_unpin() before the detach", revisions=_UMEM_REVS,
                                    default="false"))),
        DriverInfo("legacy", "legacy", (IMPORTER,), False,
                   "a static importer that only knows sg_table (dma_buf_attach + map_attachment)",
                   importer_options=(
                       dataclasses.replace(_ALLOW_P2P, revisions=_SGT_IMPORTER_REVS + ("offer-list",)),
                       dataclasses.replace(_ATTACH_VIA, revisions=_SGT_IMPORTER_REVS + ("offer-list",)),
                       _MAP_VIA, _HOLD_RESV, _DEFERRED_UNMAP)),
        DriverInfo("peer-gpu", "peer_gpu", (EXPORTER, IMPORTER), True,
                   "a GPU reachable over a private link: VRAM offsets within one specific VRAM",
                   importer_options=(
                       DriverOption("link_to", "bdf of the GPU whose VRAM it reaches over the private "
                                    "link (it lists that VRAM's own type first)", kind="bdf",
                                    revisions=("offer-list", "mapping-types-2025-10", "mapping-types-2026-05")),
                       dataclasses.replace(_ALLOW_P2P, revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6", "get-pfn", "rfc-v2",
                                                                  "mapping-types-2026-05")),
                       dataclasses.replace(_ATTACH_VIA, revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6", "get-pfn", "rfc-v2",
                                                                  "mapping-types-2026-05")),
                       _DEFERRED_UNMAP)),
    )
}


def driver_info(name: str) -> DriverInfo:
    """The DriverInfo for ``name``; KeyError for an unknown driver."""
    return DRIVERS[name]


def driver_module(driver: str, revision: str) -> Optional[ModuleType]:
    """The module writing ``driver`` against ``revision``, or None if there is none."""
    pkg = DRIVERS[driver].package
    modname = f"{__package__}.{pkg}.{REVISIONS[canonical(revision)]}"
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name and (modname == exc.name or modname.startswith(exc.name + ".")):
            return None
        raise


def expressible(driver: str, role: str, revision: str) -> bool:
    """True when ``driver`` can take ``role`` under ``revision`` at all."""
    mod = driver_module(driver, revision)
    return mod is not None and hasattr(mod, f"make_{role}")


def _factory(driver: str, role: str, revision: str):
    mod = driver_module(driver, revision)
    fn = getattr(mod, f"make_{role}", None) if mod is not None else None
    if fn is None:
        raise CannotExpress(f"no {role} '{driver}' is written for revision {revision}")
    return fn


def make_exporter(session: Session) -> ExporterDriver:
    """Build the exporter named by ``session.exporter`` for the session's revision."""
    return _factory(session.exporter.driver, EXPORTER, session.revision.name)(session)


def make_importer(session: Session) -> ImporterDriver:
    """Build the importer named by ``session.importer`` for the session's revision."""
    return _factory(session.importer.driver, IMPORTER, session.revision.name)(session)


def pairs(revision: str) -> list[tuple[str, str]]:
    """Every (exporter, importer) driver pair that ``revision`` can express."""
    exps = [d for d in DRIVERS if EXPORTER in DRIVERS[d].roles and expressible(d, EXPORTER, revision)]
    imps = [d for d in DRIVERS if IMPORTER in DRIVERS[d].roles and expressible(d, IMPORTER, revision)]
    return [(e, i) for e in exps for i in imps]


def table() -> dict[tuple[str, str], list[str]]:
    """(driver, role) -> revisions that express it; for documentation and notebooks."""
    out: dict[tuple[str, str], list[str]] = {}
    for d, info in DRIVERS.items():
        for role in info.roles:
            out[(d, role)] = [r for r in REVISIONS if expressible(d, role, r)]
    return out


def driver_options(driver: str, role: str) -> dict:
    """Option name -> :class:`DriverOption` that ``driver`` reads in ``role`` (KeyError: unknown driver)."""
    return DRIVERS[driver].options(role)


def check_options(driver: str, role: str, options: dict) -> list[tuple[str, str]]:
    """Problems with a spec's options as (key, message); empty when every key is declared and fits.

    The scenario loader turns each into a ScenarioError; hand-built specs
    may call this to get the same checking.
    """
    known = driver_options(driver, role)
    out = []
    for key, value in options.items():
        opt = known.get(key)
        if opt is None:
            valid = ", ".join(sorted(known)) or "none"
            out.append((key, f"unknown {role} option {key!r} for driver {driver!r}; "
                             f"valid options: {valid}"))
            continue
        why = opt.check(value)
        if why is not None:
            out.append((key, f"{role} option {key!r} of driver {driver!r}: {why}"))
    return out
