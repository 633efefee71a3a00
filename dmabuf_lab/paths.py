"""Where the lab's notebooks live and where its outputs go.

The checkout root is found by walking up from the working directory to the
``pyproject.toml`` that names this project (so a notebook opened from
``notebooks/`` in JupyterLab writes to the same ``build/`` as the command
line), falling back to the directory above the installed package.
``DMABUF_LAB_BUILD`` overrides the output directory.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BUILD_ENV = "DMABUF_LAB_BUILD"
NOTEBOOK_ENV = "DMABUF_LAB_NOTEBOOK"


def _is_lab_root(path: Path) -> bool:
    meta = path / "pyproject.toml"
    try:
        return meta.is_file() and 'name = "dmabuf-lab"' in meta.read_text(encoding="utf-8")
    except OSError:
        return False


def lab_root(start: Path | None = None) -> Path:
    """The checkout that holds ``notebooks/`` and ``data/``."""
    here = (start or Path.cwd()).resolve()
    for path in (here, *here.parents):
        if _is_lab_root(path):
            return path
    return Path(__file__).resolve().parents[1]


def build_root() -> Path:
    """The ``build/`` directory outputs go to (``$DMABUF_LAB_BUILD`` if set)."""
    env = os.environ.get(BUILD_ENV)
    if env:
        return Path(env).resolve()
    return lab_root() / "build"


def display_path(text: str | None) -> str | None:
    """``text`` with the checkout's own absolute path cut to a relative one.

    Names of files inside the checkout are printed relative to it
    (``data/captures/x.txt``), so outputs carry no path of the machine that
    made them; other paths are left as they are.
    """
    if not text:
        return text
    root = str(lab_root()) + os.sep
    return text.replace(root, "")


def public_line(text: str | None, *, build: Path | None = None, limit: int = 400) -> str:
    """``text`` as one line fit to publish: whitespace runs collapsed, the build folder
    written ``build``, the checkout cut away and the home folder written ``~``."""
    if not text:
        return ""
    if build is not None:
        text = text.replace(str(build), "build")
    text = display_path(text) or ""
    home = os.path.expanduser("~")
    if home not in ("", "/"):
        text = text.replace(home, "~")
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def data_dir() -> Path:
    """The checkout's ``data/`` directory."""
    return lab_root() / "data"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    The temporary name is unique to this call (process id plus a random
    part, created with ``O_EXCL``), so two processes -- or two threads of
    one process -- writing the same path at once never share a temporary
    file: a reader sees one writer's whole file or the other's.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    """Text flavour of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))
