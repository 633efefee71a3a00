"""The packages that hold twins of kernel C, and which revision a module serves."""
from __future__ import annotations

import importlib
import pkgutil

#: Packages (or single modules) whose functions mirror kernel C.
TWIN_PACKAGES = (
    "dmabuf_lab.core",
    "dmabuf_lab.drivers",
    "dmabuf_lab.revisions",
    "dmabuf_lab.pci",
    "dmabuf_lab.addr",
    "dmabuf_lab.linux",
)

#: Module name suffixes that name the code after 6.19 rather than a revision module:
#: the ``*_7_3`` modules (revoke series and later) run in every release from 7.1 on.
_RELEASE_SUFFIX = {"_7_3": ("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")}


def twin_modules() -> list[str]:
    """Every module of :data:`TWIN_PACKAGES`, sorted."""
    names = []
    for pkg_name in TWIN_PACKAGES:
        pkg = importlib.import_module(pkg_name)
        names.append(pkg_name)
        if hasattr(pkg, "__path__"):
            names += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg_name + ".")]
    return sorted(set(names))


def load_all() -> None:
    """Import every twin module, so that every ``@mirrors`` has run."""
    for name in twin_modules():
        importlib.import_module(name)


def in_twin_package(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in TWIN_PACKAGES)


def module_revisions(module: str) -> tuple[str, ...]:
    """The revision a module's name says it serves (``drivers.xe.rfc_v1`` -> rfc-v1), or ()."""
    from dmabuf_lab.revisions import REVISIONS

    by_module = {mod: name for name, mod in REVISIONS.items()}
    last = module.rsplit(".", 1)[-1]
    if last in by_module:
        return (by_module[last],)
    for suffix, rev in _RELEASE_SUFFIX.items():
        if last.endswith(suffix):
            return rev
    return ()
