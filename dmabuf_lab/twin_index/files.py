"""Where each kernel C file's twins live: one folder per file, named after its path.

A C file ``drivers/iommu/iommufd/pages.c`` has its twins in the package
``dmabuf_lab/linux/drivers/iommu/iommufd/pages/`` ('-' becomes '_'; a header
``foo.h`` becomes ``foo_h`` so that it never shares a name with ``foo.c``),
one module per release or posting that changed the file
(:data:`VERSION_MODULES`) plus ``common`` for code several versions share.

A few low-floor services stay in the one module named after them that the
rest of the lab builds on (:data:`INFRASTRUCTURE`, each with its reason):
moving them under ``dmabuf_lab.linux`` would put the PCI model, the
scatterlist or the DMA API above the floors that use them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

#: The package every C file's folder lives under (as a file path and as a module).
LINUX_DIR = "dmabuf_lab/linux"
LINUX_PACKAGE = "dmabuf_lab.linux"

#: Names a version module may have: a release, a posting, or what several share.
VERSION_MODULES = (
    "common", "mainline_6_19", "get_pfn", "offer_list", "rfc_v1", "rfc_v2", "mapping_types_2025_10",
    "mapping_types_2026_02", "mapping_types_2026_03", "mapping_types_2026_05", "nvgrace_egm",
    "mainline_7_1", "mainline_7_2", "mainline_7_3_rc6",
)

_SCATTERLIST = ("dmabuf_lab/addr/lib_scatterlist.py",
                "the scatterlist every address container, kernel and revision builds on (addr floor)")
_DMA_API = ("dmabuf_lab/core/dma_mapping.py",
            "the DMA API entry points every mapping helper calls, with dma-direct (core floor, below the revisions)")
_PCI = ("the PCI device model the topologies are made of (pci floor, below everything that maps)")

#: C files whose twins stay in one infrastructure module: path -> (module file, why).
INFRASTRUCTURE: dict[str, tuple[str, str]] = {
    "lib/scatterlist.c": _SCATTERLIST,
    "include/linux/scatterlist.h": _SCATTERLIST,
    "kernel/dma/mapping.c": _DMA_API,
    "include/linux/dma-mapping.h": _DMA_API,
    "include/linux/dma-direct.h": _DMA_API,
    "drivers/pci/bus.c": ("dmabuf_lab/pci/pci.py", _PCI),
    "include/linux/pci.h": ("dmabuf_lab/pci/pci.py", _PCI),
    "drivers/pci/iov.c": ("dmabuf_lab/pci/iov.py", _PCI),
    "drivers/pci/host-bridge.c": ("dmabuf_lab/pci/bridge.py", _PCI),
    "drivers/pci/p2pdma.c": ("dmabuf_lab/pci/p2pdma.py", _PCI + "; the distance walk and the map type"),
    "include/linux/pci-p2pdma.h": ("dmabuf_lab/pci/p2pdma.py", _PCI + "; the distance walk and the map type"),
    "include/linux/overflow.h": ("dmabuf_lab/addr/footprint.py",
                                 "struct_size(), which the containers' cost model uses (addr floor)"),
    "include/linux/refcount.h": ("dmabuf_lab/kmodel/completion.py",
                                 "kref, part of the kernel runtime model every twin stands on (ground floor)"),
}


#: Single functions of a C file that stay in an infrastructure module: (path, function) -> (module file, why).
SHARED_HELPERS: dict[tuple[str, str], tuple[str, str]] = {
    ("drivers/dma-buf/dma-buf-mapping.c", "fill_sg_entry"): (
        "dmabuf_lab/addr/lib_scatterlist.py",
        "the address containers' bulk sg writer (addr floor) calls it too, below the core floor of its file"),
}


_STEP = ("the adapter's step method is the twin itself: findings' kernel call chains leave the step "
         "names (map, unmap, detach) out, so as a function named after its C function it would change "
         "every chain that passes through it")
#: Twins that stay beside the lab code they are part of: ``module:qualname`` -> why.
IN_PLACE: dict[str, str] = {
    "dmabuf_lab.drivers.iommufd.mainline_6_19:IommufdImporter.iopt_revoke_notify":
        "the adapter-level revoke notification the interconnect RFCs' iommufd importer still runs; the "
        "pages.c folder holds the release twin of the same name, which a module-level copy would shadow",
    "dmabuf_lab.hw.loaders.to_topology:_check_vf_bus_range":
        "a capture loader's input check that mirrors sriov_enable()'s bus-range test: it refuses a captured "
        "machine with the loader's own error (hw floor), not with a kernel errno",
    "dmabuf_lab.drivers.iommufd.mapping_types_2026_02:IommufdPalImporter.unmap": _STEP,
    "dmabuf_lab.drivers.iommufd.mapping_types_2026_03:IommufdBranchImporter.map": _STEP,
    "dmabuf_lab.drivers.iommufd.mapping_types_2026_03:IommufdBranchImporter.detach":
        _STEP + "; it also ends in the adapter's own detach (super().detach())",
}


def package_dir(path: str) -> str:
    """``dmabuf_lab/linux/...`` folder of the C file ``path`` (no trailing slash)."""
    p = PurePosixPath(path)
    stem = p.stem.replace("-", "_") + ("_h" if p.suffix == ".h" else "")
    parts = [d.replace("-", "_") for d in p.parent.parts] + [stem]
    return "/".join([LINUX_DIR, *parts])


def home_of(path: str, function: str = "") -> str:
    """Where the twins of ``path`` (or of its ``function``) belong: an infrastructure module, else its folder."""
    if (path, function) in SHARED_HELPERS:
        return SHARED_HELPERS[(path, function)][0]
    if path in INFRASTRUCTURE:
        return INFRASTRUCTURE[path][0]
    return package_dir(path)


def _inside(file: str, home: str) -> bool:
    return file == home or file.startswith(home + "/")


def misplaced(decls) -> list[str]:
    """``file:line function (C path): expected home`` for each twin outside its C file's home."""
    bad = []
    for d in decls:
        if f"{d.module}:{d.qualname}" in IN_PLACE:
            continue
        home = home_of(d.pin.path, d.pin.function)
        if not _inside(d.file, home):
            bad.append(f"{d.file}:{d.line} {d.qualname} ({d.pin.path}): belongs in {home}")
    return bad


def version_of(file: str) -> str:
    """The version module name of a twin file (``.../pages/mainline_7_1.py`` -> ``mainline_7_1``)."""
    return PurePosixPath(file).stem


@dataclass
class FileHome:
    """One C file: its home, the version modules there and how many twins each holds."""

    path: str
    home: str
    versions: dict[str, int] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    outside: list[str] = field(default_factory=list)
    #: ``function: module`` of each twin that stays in a SHARED_HELPERS module
    shared: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"path": self.path, "home": self.home, "versions": dict(self.versions),
                "functions": sorted(self.functions), "outside": list(self.outside),
                "shared": sorted(set(self.shared))}


def _version_order(name: str) -> int:
    return VERSION_MODULES.index(name) if name in VERSION_MODULES else len(VERSION_MODULES)


def file_homes(decls) -> list[FileHome]:
    """Every C file the lab twins, sorted by path, with its home and versions."""
    homes: dict[str, FileHome] = {}
    for d in decls:
        h = homes.setdefault(d.pin.path, FileHome(d.pin.path, home_of(d.pin.path)))
        h.functions.add(d.pin.function)
        if (d.pin.path, d.pin.function) in SHARED_HELPERS:
            h.shared.append(f"{d.pin.function}: {SHARED_HELPERS[(d.pin.path, d.pin.function)][0]}")
        elif f"{d.module}:{d.qualname}" in IN_PLACE:
            h.shared.append(f"{d.pin.function}: {d.file} (kept in place)")
        elif _inside(d.file, h.home):
            key = version_of(d.file) if h.home.startswith(LINUX_DIR + "/") else PurePosixPath(d.file).name
            h.versions[key] = h.versions.get(key, 0) + 1
        else:
            h.outside.append(f"{d.file}:{d.line}")
    for h in homes.values():
        h.versions = dict(sorted(h.versions.items(), key=lambda kv: (_version_order(kv[0]), kv[0])))
    return [homes[p] for p in sorted(homes)]


def format_files(homes: list[FileHome]) -> str:
    """Text view: one block per C file."""
    lines = []
    for h in homes:
        lines.append(f"{h.path}  ({len(h.functions)} function(s))")
        lines.append(f"  {h.home}")
        lines.append("  " + ", ".join(f"{v} ({n})" for v, n in h.versions.items()))
        if h.path in INFRASTRUCTURE:
            lines.append(f"  stays: {INFRASTRUCTURE[h.path][1]}")
        for s in sorted(set(h.shared)):
            lines.append(f"  shared helper: {s}")
        for w in h.outside:
            lines.append(f"  OUTSIDE its home: {w}")
    return "\n".join(lines)
