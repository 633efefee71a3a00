"""The lab is built in floors: no module imports from a floor above its own.

Read bottom up, each floor uses only what stands below it (or beside it).
A module belongs to the floor of the longest prefix below that names it
(``dmabuf_lab`` alone is the package's face, not a prefix); a
package's ``command`` module (its CLI subcommand) stands on the commands
floor with the other subcommands' front ends, under ``cli`` and the fuzzers
that drive it.  Imports inside functions count too.
"""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dmabuf_lab"

#: Floors from the ground up.  The one place the layering is written down.
FLOORS: list[tuple[str, ...]] = [
    ("dmabuf_lab", "dmabuf_lab.errors", "dmabuf_lab.input_file", "dmabuf_lab.paths", "dmabuf_lab.version", "dmabuf_lab.twins",
     "dmabuf_lab.provenance", "dmabuf_lab.kmodel", "dmabuf_lab.kernels"),
    ("dmabuf_lab.addr", "dmabuf_lab.pci", "dmabuf_lab.tasks", "dmabuf_lab.bench"),
    ("dmabuf_lab.hw", "dmabuf_lab.core", "dmabuf_lab.linux.drivers.dma_buf"),
    ("dmabuf_lab.revisions",),
    ("dmabuf_lab.drivers", "dmabuf_lab.linux"),
    ("dmabuf_lab.litmus", "dmabuf_lab.twin_index"),
    ("dmabuf_lab.experiments",),
    ("dmabuf_lab.figures", "dmabuf_lab.findings"),
    ("dmabuf_lab.runner", "dmabuf_lab.figures.site"),
    ("*.command", "dmabuf_lab.litmus.ask", "dmabuf_lab.litmus.diff"),
    ("dmabuf_lab.cli", "dmabuf_lab.fuzz"),
]


def floor_of(module: str) -> int:
    """Index in FLOORS of ``module`` (longest matching prefix; ``*.command`` modules first)."""
    if module.rsplit(".", 1)[-1] == "command":
        return next(i for i, f in enumerate(FLOORS) if "*.command" in f)
    best, where = -1, None
    for i, names in enumerate(FLOORS):
        for name in names:
            inside = module == name or (name != "dmabuf_lab" and module.startswith(name + "."))
            if inside and len(name) > best:
                best, where = len(name), i
    if where is None:
        raise AssertionError(f"{module} stands on no floor: add it to FLOORS in {Path(__file__).name}")
    return where


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """Every ``dmabuf_lab`` module ``path`` imports, with the line (relative imports resolved)."""
    mod = module_name(path, root)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from pkg import sub`` imports the submodule when there is one
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "dmabuf_lab" and _is_module(name):
                found.append((name, node.lineno))
    return found


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def upward_imports(root: Path = ROOT) -> list[str]:
    bad = []
    for path in sorted((root / "dmabuf_lab").rglob("*.py")):
        mod = module_name(path, root)
        here = floor_of(mod)
        for target, line in imports_of(path, root):
            there = floor_of(target)
            if there > here:
                bad.append(f"{path.relative_to(root)}:{line}: {mod} (floor {here}) imports {target} "
                           f"(floor {there})")
    return bad


def test_no_module_imports_from_a_floor_above_its_own():
    bad = upward_imports()
    assert not bad, "imports that run upward:\n" + "\n".join(bad)


def test_every_module_stands_on_a_floor():
    for path in PACKAGE.rglob("*.py"):
        floor_of(module_name(path))


@pytest.mark.parametrize("module,floor", [("dmabuf_lab.kmodel.alloc", 0), ("dmabuf_lab.litmus.runner", 5),
                                          ("dmabuf_lab.figures.site", 8), ("dmabuf_lab.litmus.command", 9)])
def test_floor_of_uses_the_longest_prefix(module, floor):
    assert floor_of(module) == floor


def test_the_check_sees_an_upward_import(tmp_path):
    """A kmodel module that imported litmus inside a function is reported (the check can fail)."""
    probe = tmp_path / "dmabuf_lab" / "kmodel" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("def f():\n    from dmabuf_lab.litmus import runner\n", encoding="utf-8")
    bad = upward_imports(tmp_path)
    assert bad and all(b.startswith("dmabuf_lab/kmodel/probe.py:2:") and "dmabuf_lab.litmus" in b for b in bad)
