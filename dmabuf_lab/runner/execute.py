"""Execute one notebook headless (in its own process) and describe the outcome.

``python -m dmabuf_lab.runner.execute JOB.json`` reads a job written by the
runner, executes the notebook with papermill (parameters injected after the
cell tagged ``parameters``), writes the executed ``.ipynb`` atomically --
also when a cell fails, so the failure can be read in context -- and writes a
result JSON naming the failing cell.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dmabuf_lab.paths import atomic_write_text


@dataclass
class CellFailure:
    """Where a notebook stopped: source cell index, its first line, the error."""

    cell_index: int | None
    first_line: str
    py_line: int | None
    ename: str
    evalue: str
    traceback: str = ""

    def describe(self) -> str:
        where = f"cell {self.cell_index}" if self.cell_index is not None else "a cell"
        if self.py_line is not None:
            where += f" (line {self.py_line})"
        first = self.first_line if len(self.first_line) <= 60 else self.first_line[:57] + "..."
        return f"{where} `{first}`: {self.ename}: {self.evalue}".rstrip(": ")


@dataclass
class NotebookResult:
    name: str
    status: str                      # "ok" or "failed"
    seconds: float = 0.0
    output: str | None = None
    failure: CellFailure | None = None
    error: str | None = None         # failures outside a cell (kernel died, timeout ...)
    log: str | None = None
    extra: dict = field(default_factory=dict)
    kept: str | None = None          # failed, still showing the good run made at this time

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        if self.ok:
            return "ok"
        if self.failure is not None:
            return self.failure.describe()
        return self.error or "failed"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "NotebookResult":
        failure = data.get("failure")
        data = dict(data)
        data["failure"] = CellFailure(**failure) if failure else None
        return cls(**data)


def _strip_ansi(text: str) -> str:
    import re
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _locate(source_nb, src, failing_source: str) -> tuple[int | None, str, int | None]:
    """Map a failing cell's source back to its index and line in the .py file."""
    index = None
    for i, cell in enumerate(source_nb.cells):
        if cell.cell_type == "code" and cell.source == failing_source:
            index = i
            break
    first = next((ln.strip() for ln in failing_source.splitlines() if ln.strip()), "")
    return index, first, src.first_line_of(failing_source)


def run_job(job: dict) -> NotebookResult:
    """Execute the notebook described by ``job``; never raises for notebook errors."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from dmabuf_lab.runner.notebook_source import NotebookSource

    src = NotebookSource(job["name"], Path(job["path"]))
    output = Path(job["output"])
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp.ipynb")
    start = time.monotonic()
    result = NotebookResult(name=src.name, status="failed", output=str(output))
    try:
        source_nb = src.read()
        papermill.execute_notebook(
            source_nb, str(tmp), parameters=job.get("parameters") or {},
            kernel_name=job["kernel_name"], cwd=job["cwd"], progress_bar=False,
            log_output=False, request_save_on_cell_execute=False,
            execution_timeout=job.get("cell_timeout"), start_timeout=job.get("start_timeout", 120))
        result.status = "ok"
    except PapermillExecutionError as exc:
        index, first, line = _locate(source_nb, src, exc.source)
        result.failure = CellFailure(index, first, line, exc.ename, _strip_ansi(str(exc.evalue)),
                                     _strip_ansi("\n".join(exc.traceback or [])))
    except Exception as exc:  # kernel death, timeouts, unreadable source
        result.error = f"{type(exc).__name__}: {_strip_ansi(str(exc)).strip()}"
        result.extra["traceback"] = traceback.format_exc()
    finally:
        result.seconds = round(time.monotonic() - start, 2)
        if tmp.exists():
            _make_reproducible(tmp, Path(job.get("recorded_output") or output), src.path.resolve())
            os.replace(tmp, output)
    return result


def _make_reproducible(path: Path, output: Path, source: Path | None = None) -> None:
    """Remove what papermill makes differ between runs and machines: the injected
    cell's random id, the temporary file's name recorded as the output path, and
    the absolute paths of the checkout and the build (recorded relative to them)."""
    import nbformat

    from dmabuf_lab.paths import display_path

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    meta = nb.metadata.get("papermill")
    if meta is not None:
        meta["output_path"] = f"notebooks/{output.name}"
        # papermill records the input as given: here the whole source notebook
        meta["input_path"] = display_path(str(source)) if source is not None else None
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = run_job(job)
    atomic_write_text(Path(job["result"]), json.dumps(result.to_json(), indent=1))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
