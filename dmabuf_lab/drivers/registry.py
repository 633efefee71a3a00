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
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Optional

from dmabuf_lab.revisions import REVISIONS
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


DRIVERS = {
    d.name: d for d in (
        DriverInfo("vfio-pci", "vfio_pci", (EXPORTER,), True,
                   "vfio-pci: exports MMIO slices of a PF or VF BAR"),
        DriverInfo("xe", "xe", (EXPORTER, IMPORTER), True,
                   "Intel xe: exports VRAM BOs; the PF imports its VFs' VRAM BAR slices"),
        DriverInfo("system", "system_heap", (EXPORTER,), True,
                   "the system dma-heap: pages of system RAM"),
        DriverInfo("iommufd", "iommufd", (IMPORTER,), True,
                   "iommufd: maps the buffer at a user IOVA; wants physical addresses"),
        DriverInfo("kvm", "kvm", (IMPORTER,), True,
                   "KVM: maps the buffer into guest physical space; wants PFNs/physical addresses"),
        DriverInfo("rdma", "rdma", (IMPORTER,), True,
                   "RDMA (mlx5-like): consumes DMA addresses, needs the whole list to size its page table"),
        DriverInfo("legacy", "legacy", (IMPORTER,), False,
                   "a static importer that only knows sg_table (dma_buf_attach + map_attachment)"),
        DriverInfo("peer-gpu", "peer_gpu", (EXPORTER, IMPORTER), True,
                   "a GPU reachable over a private link: VRAM offsets within one specific VRAM"),
    )
}


def driver_info(name: str) -> DriverInfo:
    """The DriverInfo for ``name``; KeyError for an unknown driver."""
    return DRIVERS[name]


def driver_module(driver: str, revision: str) -> Optional[ModuleType]:
    """The module writing ``driver`` against ``revision``, or None if there is none."""
    pkg = DRIVERS[driver].package
    modname = f"{__package__}.{pkg}.{REVISIONS[revision]}"
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
