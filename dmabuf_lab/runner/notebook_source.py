"""Notebook sources: ``notebooks/NN_name.py`` in jupytext's py:percent format.

The sources are plain Python (diffable, reviewable); they become ``.ipynb``
only in memory, just before they run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.runner.kernel_spec import KERNEL_DISPLAY_NAME, KERNEL_NAME

NAME_RE = re.compile(r"^(\d\d)_[A-Za-z0-9_]+$")


class NotebookNotFound(LabInputError):
    """A notebook named on the command line does not exist."""


@dataclass(frozen=True)
class NotebookSource:
    """One notebook source file and the name its outputs go under."""

    name: str          # e.g. "05_rfc_v1_review_containers"
    path: Path

    def read(self) -> nbformat.NotebookNode:
        """The source as an (unexecuted) notebook."""
        nb = jupytext.read(self.path, fmt="py:percent")
        nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
        nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME,
                                     "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        for index, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{index}"  # stable ids: re-running gives the same notebook
        return nb

    def _parameter_assignments(self):
        """(name, line in the ``.py`` file, value node, annotation node) for each name the
        cell tagged ``parameters`` assigns; empty without such a cell."""
        import ast

        nb = jupytext.read(self.path, fmt="py:percent")
        for cell in nb.cells:
            if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
                try:
                    tree = ast.parse(cell.source)
                except SyntaxError as exc:
                    raise LabInputError(f"the parameters cell does not parse: {exc.msg}",
                                        file=str(self.path)) from None
                offset = self.first_line_of(cell.source) or 1
                first = next((n for n in tree.body), None)
                base = offset - (first.lineno if first is not None else 1)
                found = []
                for node in tree.body:
                    targets = (node.targets if isinstance(node, ast.Assign)
                               else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
                    simple = len(targets) == 1 and isinstance(targets[0], ast.Name)
                    value = node.value if simple and isinstance(node, (ast.Assign, ast.AnnAssign)) else None
                    annotation = node.annotation if isinstance(node, ast.AnnAssign) else None
                    for target in targets:
                        for leaf in ast.walk(target):
                            if isinstance(leaf, ast.Name):
                                found.append((leaf.id, base + node.lineno, value, annotation))
                return found
        return []

    def parameters(self) -> dict[str, int]:
        """The names the cell tagged ``parameters`` assigns, with their line in the ``.py`` file.

        These are the names ``dmabuf-lab run -p`` may set; a notebook
        without such a cell takes none.
        """
        names: dict[str, int] = {}
        for name, line, _value, _annotation in self._parameter_assignments():
            names.setdefault(name, line)
        return names

    def parameter_kinds(self) -> dict:
        """What each parameter takes (see ``parameters.declared_kind``), from its first assignment."""
        from dmabuf_lab.runner.parameters import declared_kind

        kinds: dict = {}
        for name, _line, value, annotation in self._parameter_assignments():
            if name not in kinds:
                kinds[name] = declared_kind(value, annotation)
        return kinds

    def first_line_of(self, source: str) -> int | None:
        """Line number in the ``.py`` file where a cell's first code line appears."""
        first = next((ln.strip() for ln in source.splitlines() if ln.strip()), None)
        if first is None:
            return None
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() == first:
                return number
        return None


def discover(notebooks_dir: Path) -> list[NotebookSource]:
    """Every ``NN_name.py`` notebook in ``notebooks_dir``, in number order."""
    found = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.py")):
        if NAME_RE.match(path.stem):
            found.append(NotebookSource(path.stem, path))
    return found


def select(available: list[NotebookSource], wanted: list[str]) -> list[NotebookSource]:
    """Resolve names from the command line: ``05``, ``05_rfc_v1_review_containers``,
    ``rfc_v1_review_containers`` or a path to the ``.py`` file."""
    if not wanted:
        return list(available)
    chosen: list[NotebookSource] = []
    for want in wanted:
        key = Path(want).stem if want.endswith((".py", ".ipynb")) else want.rstrip("/")
        matches = [nb for nb in available
                   if nb.name == key or nb.name.split("_", 1)[0] == key or nb.name.split("_", 1)[1] == key]
        if not matches:
            matches = [nb for nb in available if nb.name.startswith(key)]
        if len(matches) != 1:
            names = ", ".join(nb.name for nb in available) or "(none)"
            what = "is ambiguous" if matches else "matches no notebook"
            raise NotebookNotFound(f"{want!r} {what}; notebooks: {names}", field="NOTEBOOK")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen
