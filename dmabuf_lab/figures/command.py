"""``dmabuf-lab export FIGURE``: print or copy one exported figure.

FIGURE is ``<notebook>/<name>`` as found under ``build/figures``
(``dmabuf-lab export --list`` shows them).  ``--format email`` prints the
plain-text form for a mailing-list reply; ``svg`` and ``csv`` print the file;
``png`` needs ``-o FILE`` (or a pipe).  A missing figure is reported with the
command that makes it.
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.figures.email import regenerate_command
from dmabuf_lab.paths import build_root, lab_root

FORMAT_FILES = {"email": "txt", "txt": "txt", "svg": "svg", "png": "png", "csv": "csv",
                "parquet": "parquet", "json": "vl.json"}
BINARY = {"png", "parquet"}


class FigureNotFound(LabInputError):
    """The named figure has not been exported (yet)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("figure", nargs="?", metavar="FIGURE", help="<notebook>/<name>, e.g. 00_tour/timeline")
    parser.add_argument("--format", "-f", default="email", choices=sorted(FORMAT_FILES),
                        help="email (plain text, <= 72 columns; default), svg, png, csv, parquet, json")
    parser.add_argument("--output", "-o", default=None, metavar="FILE",
                        help="write to FILE instead of standard output")
    parser.add_argument("--build", default=None, metavar="DIR", help="build directory (default: build/)")
    parser.add_argument("--list", action="store_true",
                        help="list the exported figures, each with its caption")


def list_figures(build: Path) -> list[str]:
    return sorted(f"{p.parent.name}/{p.name[:-len('.vl.json')]}"
                  for p in (build / "figures").glob("*/*.vl.json"))


def figure_caption(build: Path, figure: str) -> str:
    """The caption ``save_figure`` stored in the figure's Vega-Lite spec ("" when unreadable)."""
    import json

    notebook, _, name = figure.partition("/")
    try:
        spec = json.loads((build / "figures" / notebook / f"{name}.vl.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    meta = spec.get("usermeta", {}).get("dmabuf_lab", {}) if isinstance(spec, dict) else {}
    return str(meta.get("caption", ""))


def _notebook_for(key: str) -> str | None:
    """The notebook whose source matches ``key`` (full name, number or bare name)."""
    from dmabuf_lab.runner.notebook_source import discover
    for nb in discover(lab_root() / "notebooks"):
        if key in (nb.name, nb.name.split("_", 1)[0], nb.name.split("_", 1)[1]):
            return nb.name
    return None


def _figures_in_source(notebook: str) -> list[str]:
    """The figure names a notebook's source saves (``save_figure(..., name="x")``), unbuilt or not."""
    import re

    src = lab_root() / "notebooks" / f"{notebook}.py"
    try:
        text = src.read_text(encoding="utf-8")
    except OSError:
        return []
    return re.findall(r'\bname="([A-Za-z0-9_]+)"', text)


class FigureOutsideBuild(LabInputError):
    """A figure name that would read a file outside the figures folder."""


def _plain_parts(figure: str) -> tuple[str, str]:
    """``<notebook>/<name>`` as two plain names; anything that could leave the folder is refused."""
    parts = figure.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        if "//" in figure.strip("/") or len(parts) > 2:
            raise FigureOutsideBuild(f"expected <notebook>/<name> (two plain names), got {figure!r}; "
                                     "a figure name is never a path", field="FIGURE")
        raise FigureNotFound(f"expected <notebook>/<name>, got {figure!r}", field="FIGURE")
    for part in parts:
        if part in (".", "..") or "\\" in part or "\0" in part or part.startswith("~"):
            raise FigureOutsideBuild(f"expected <notebook>/<name> (two plain names), got {figure!r}; "
                                     "a figure name is never a path", field="FIGURE")
    return parts[0], parts[1]


def _inside(folder: Path, path: Path, figure: str) -> Path:
    """``path`` itself when it resolves (links followed) inside ``folder``."""
    real, root = path.resolve(), folder.resolve()
    if real != root and root not in real.parents:
        raise FigureOutsideBuild(f"{figure!r} resolves to {real}, outside {root}; export only reads "
                                 "the figures the lab exported", field="FIGURE")
    return path


def resolve(build: Path, figure: str, fmt: str) -> Path:
    """The file for ``figure`` in ``fmt``; FigureNotFound says how to make it.

    The name is two plain names and the file it resolves to (links followed)
    lies inside ``build/figures``; anything else is FigureOutsideBuild.
    """
    notebook, name = _plain_parts(figure)
    nb_dir = build / "figures" / notebook
    if not nb_dir.is_dir():
        full = _notebook_for(notebook)
        if full and (build / "figures" / full).is_dir():
            notebook, nb_dir = full, build / "figures" / full
    path = nb_dir / f"{name}.{FORMAT_FILES[fmt]}"
    if path.exists() or path.is_symlink():
        return _inside(build / "figures", path, figure)
    full = _notebook_for(notebook) or notebook
    known = [f for f in list_figures(build) if f.startswith(f"{full}/")]
    hint = f"; {full} has: {', '.join(known)}" if known else ""
    known = known or [f"{full}/{n}" for n in _figures_in_source(full)]
    if _notebook_for(notebook) is None and not nb_dir.is_dir():
        raise FigureNotFound(f"no notebook {notebook!r} in {lab_root() / 'notebooks'}; "
                             "see `dmabuf-lab run --list`", field="FIGURE")
    if known:
        import difflib

        near = difflib.get_close_matches(f"{full}/{name}", known, n=1, cutoff=0.6)
        if near and near[0] != f"{full}/{name}":
            raise FigureNotFound(f"{full} has no figure {name!r}; did you mean {near[0]}?{hint}",
                                 field="FIGURE")
    raise FigureNotFound(f"{path} does not exist; make it with: {regenerate_command(full)}{hint}",
                         field="FIGURE")


def _refuse(target: str, why: str) -> LabInputError:
    return LabInputError(f"cannot write {target}: {why}; expected a regular file in a writable folder",
                         field="--output")


def output_target(target: str) -> Path:
    """The regular file ``-o`` may replace: never ``/``, a folder, a FIFO, a device or a socket,
    nor a read-only file or one in a read-only folder.  A symbolic link is followed."""
    out = Path(target)
    if out.is_symlink():
        out = out.resolve()
    if out.name in ("", ".", "..") or str(out) in (os.sep, "//"):
        raise _refuse(target, "it names a folder")
    try:
        st = out.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _refuse(target, exc.strerror or "it cannot be examined") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise _refuse(target, "it is a folder")
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(target, "it exists and is not a regular file (a FIFO, device or socket)")
        if not os.access(out, os.W_OK):
            raise _refuse(target, "it is read-only")
    parent = out.parent
    if parent.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise _refuse(target, f"its folder {parent} is not writable")
    return out


def write_output(source: Path, target: str) -> Path:
    """Copy ``source`` to ``target`` through a temporary file in the same folder and a rename."""
    from dmabuf_lab.paths import atomic_write_bytes

    out = output_target(target)
    try:
        data = source.read_bytes()
        atomic_write_bytes(out, data)
    except OSError as exc:
        raise _refuse(target, exc.strerror or str(exc)) from None
    return out


def main(args: argparse.Namespace) -> int:
    build = Path(args.build).resolve() if args.build else build_root()
    if args.list:
        figures = list_figures(build)
        if not figures:
            raise FigureNotFound(f"no exported figures under {build / 'figures'}; "
                                 "make them with: dmabuf-lab run", field="--build")
        width = max(len(f) for f in figures)
        notebook = None
        for fig in figures:
            if fig.split("/")[0] != notebook:
                notebook = fig.split("/")[0]
                print(f"{notebook}:")
            print(f"  {fig:<{width}}  {figure_caption(build, fig)}".rstrip())
        print(f"\n{len(figures)} figures; print one with: dmabuf-lab export <notebook>/<name> "
              "[--format email|svg|png|csv|parquet|json]")
        return 0
    if not args.figure:
        raise FigureNotFound("name a figure as <notebook>/<name> (see --list)", field="FIGURE")
    path = resolve(build, args.figure, args.format)
    if args.output:
        out = write_output(path, args.output)
        print(f"wrote {out}", file=sys.stderr)
        return 0
    if FORMAT_FILES[args.format] in BINARY:
        if sys.stdout.isatty():
            raise LabInputError(f"{args.format} is binary; use -o FILE or a pipe (file: {path})",
                                field="--format")
        sys.stdout.buffer.write(path.read_bytes())
        sys.stdout.flush()
        return 0
    sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0
