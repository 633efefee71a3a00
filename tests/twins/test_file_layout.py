"""Every C file's twins live in one folder named after its kernel path.

The rule and its few infrastructure exceptions are written once, in
dmabuf_lab.twin_index.files; these tests hold the tree to it.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dmabuf_lab.twin_index.files import (INFRASTRUCTURE, LINUX_DIR, SHARED_HELPERS, IN_PLACE, VERSION_MODULES,
                                         file_homes, home_of, misplaced, package_dir)
from dmabuf_lab.twin_index.table import all_decls
from dmabuf_lab.twins import TwinDecl, parse_pin

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def decls():
    import dmabuf_lab.hw.loaders.to_topology  # noqa: F401  (declares a twin outside the twin packages)

    return all_decls()


@pytest.mark.parametrize("path,folder", [
    ("drivers/iommu/iommufd/pages.c", "dmabuf_lab/linux/drivers/iommu/iommufd/pages"),
    ("drivers/vfio/pci/vfio_pci_dmabuf.c", "dmabuf_lab/linux/drivers/vfio/pci/vfio_pci_dmabuf"),
    ("drivers/dma-buf/dma-buf-mapping.c", "dmabuf_lab/linux/drivers/dma_buf/dma_buf_mapping"),
    ("drivers/vfio/pci/nvgrace-gpu/nvgrace_egm_dmabuf.c",
     "dmabuf_lab/linux/drivers/vfio/pci/nvgrace_gpu/nvgrace_egm_dmabuf"),
    ("drivers/gpu/drm/xe/xe_bo.h", "dmabuf_lab/linux/drivers/gpu/drm/xe/xe_bo_h"),
])
def test_a_c_path_names_its_folder(path, folder):
    assert package_dir(path) == folder


def test_a_header_never_shares_a_folder_with_its_c_file():
    assert package_dir("drivers/gpu/drm/xe/xe_bo.h") != package_dir("drivers/gpu/drm/xe/xe_bo.c")


def test_every_twin_lives_in_its_c_files_home(decls):
    bad = misplaced(decls)
    assert not bad, "twins outside the folder of their C file:\n" + "\n".join(bad)


def test_the_check_sees_a_twin_outside_its_folder():
    """A pages.c twin declared in an adapter module is reported (the check can fail)."""
    stray = TwinDecl(parse_pin("torvalds/linux@0b9828c7231e:drivers/iommu/iommufd/pages.c:iopt_map_pages"),
                     "dmabuf_lab.drivers.iommufd.mainline_6_19", "iopt_map_pages",
                     file="dmabuf_lab/drivers/iommufd/mainline_6_19.py", line=10)
    placed = TwinDecl(stray.pin, "x", "iopt_map_pages",
                      file="dmabuf_lab/linux/drivers/iommu/iommufd/pages/mainline_7_1.py", line=10)
    bad = misplaced([stray, placed])
    assert len(bad) == 1 and bad[0].startswith("dmabuf_lab/drivers/iommufd/mainline_6_19.py:10 ")
    assert "dmabuf_lab/linux/drivers/iommu/iommufd/pages" in bad[0]
    # a sibling folder whose name starts the same is not inside
    near = TwinDecl(stray.pin, "x", "f", file="dmabuf_lab/linux/drivers/iommu/iommufd/pages_x/common.py")
    assert misplaced([near])


def test_every_infrastructure_exception_is_used_and_reasoned(decls):
    paths = {d.pin.path for d in decls}
    for path, (module, why) in INFRASTRUCTURE.items():
        assert path in paths, f"{path}: listed as infrastructure but no twin mirrors it"
        assert (ROOT / module).is_file(), f"{path}: {module} does not exist"
        assert len(why.split()) >= 5, f"{path}: say why its twins stay in {module}"
        assert not module.startswith(LINUX_DIR + "/")


def test_every_single_function_exception_is_used_and_reasoned(decls):
    names = {f"{d.module}:{d.qualname}" for d in decls}
    for name, why in IN_PLACE.items():
        assert name in names, f"{name}: listed as kept in place but declares no twin"
        assert len(why.split()) >= 5
    pairs = {(d.pin.path, d.pin.function): d.file for d in decls}
    for key, (module, why) in SHARED_HELPERS.items():
        assert pairs.get(key) == module, f"{key}: not a twin in {module}"
        assert len(why.split()) >= 5


def test_every_version_module_has_a_known_name():
    bad = []
    for f in sorted((ROOT / LINUX_DIR).rglob("*.py")):
        if f.name != "__init__.py" and f.stem not in VERSION_MODULES:
            bad.append(str(f.relative_to(ROOT)))
    assert not bad, f"modules under {LINUX_DIR} named after no release or posting: {bad}"


def test_every_package_level_says_what_it_holds():
    for d in [ROOT / LINUX_DIR, *sorted(p for p in (ROOT / LINUX_DIR).rglob("*") if p.is_dir()
                                        and p.name != "__pycache__")]:
        init = d / "__init__.py"
        assert init.is_file(), f"{d.relative_to(ROOT)} has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(ROOT)} has no docstring"


def test_files_view_lists_each_c_file_with_its_versions(decls):
    homes = {h.path: h for h in file_homes(decls)}
    vfio = homes["drivers/vfio/pci/vfio_pci_dmabuf.c"]
    assert vfio.home == home_of("drivers/vfio/pci/vfio_pci_dmabuf.c")
    assert "mainline_6_19" in vfio.versions and "rfc_v1" in vfio.versions
    assert sum(vfio.versions.values()) == sum(1 for d in decls if d.pin.path == vfio.path)


def test_twins_files_command_json():
    out = subprocess.run([sys.executable, "-m", "dmabuf_lab.cli", "twins", "--files", "--json"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    rows = json.loads(out.stdout)
    by_path = {r["path"]: r for r in rows}
    assert by_path["drivers/dma-buf/dma-buf.c"]["home"] == "dmabuf_lab/linux/drivers/dma_buf/dma_buf"
    assert all(not r["outside"] for r in rows)
