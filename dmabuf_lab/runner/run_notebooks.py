"""Run many notebooks, some in parallel, each in its own process, with progress.

Each notebook runs in a fresh ``python -m dmabuf_lab.runner.execute``
process (its kernel is a grandchild, in a session of its own), so one
crashing notebook cannot take the others down.  One progress line is printed
per finished notebook, and a "still running" line every minute for long
ones.  The processes' temporary folder (``TMPDIR``: the kernel's connection
file, with its key) is ``<state>/tmp/<pid>``, removed when the run ends.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable

from dmabuf_lab.tasks.executors import SCHEDULER_ENV
from dmabuf_lab.paths import BUILD_ENV, NOTEBOOK_ENV, atomic_write_text, lab_root, public_line
from dmabuf_lab.runner import last_good
from dmabuf_lab.runner.execute import NotebookResult
from dmabuf_lab.runner.kernel_spec import KERNEL_NAME, install_kernel_spec
from dmabuf_lab.runner.notebook_source import NotebookSource

SMALL_ENV = "DMABUF_LAB_SMALL"
STATUS_FILE = "run-status.json"


def default_jobs(count: int) -> int:
    """Two notebooks at a time on the 2-core machine; never more than there are."""
    return max(1, min(count, os.cpu_count() or 1, 2))


def _child_env(src: NotebookSource, build: Path, jupyter_path: Path, small: bool,
               scheduler: str | None, state_dir: Path | None = None,
               parameters: dict | None = None) -> dict:
    from dmabuf_lab.figures.provenance import PARAMS_ENV, params_to_env
    from dmabuf_lab.provenance import COMMIT_ENV, lab_commit

    env = dict(os.environ)
    # what the figures record: the parameters given and the checkout's commit
    env[PARAMS_ENV] = params_to_env(parameters or {})
    env[COMMIT_ENV] = str(lab_commit())
    root = str(lab_root())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(jupyter_path), env.get("JUPYTER_PATH", "")) if p)
    env[BUILD_ENV] = str(build)
    env[NOTEBOOK_ENV] = src.name
    # everything the kernel and its libraries would keep in the home folder stays under the
    # build folder (shared by every run, outside the staged parts)
    home = Path(state_dir) if state_dir is not None else build / ".state"
    for sub in ("ipython", "jupyter-config", "jupyter-data", "jupyter-runtime", "matplotlib", "numba-cache",
                "xdg-cache", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)   # IPython falls back to /tmp when it is missing
    env["IPYTHONDIR"] = str(home / "ipython")
    env["JUPYTER_CONFIG_DIR"] = str(home / "jupyter-config")
    env["JUPYTER_DATA_DIR"] = str(home / "jupyter-data")
    env["JUPYTER_RUNTIME_DIR"] = str(home / "jupyter-runtime")
    env["MPLCONFIGDIR"] = str(home / "matplotlib")
    env["NUMBA_CACHE_DIR"] = str(home / "numba-cache")
    env["XDG_CACHE_HOME"] = str(home / "xdg-cache")
    tmp = home / "tmp" / str(os.getpid())
    tmp.mkdir(parents=True, exist_ok=True)
    for var in ("TMPDIR", "TEMP", "TMP"):   # the kernel's connection file goes to tempfile's folder
        env[var] = str(tmp)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.setdefault("PYTHONHASHSEED", "0")
    if small:
        env[SMALL_ENV] = "1"
    else:
        env.pop(SMALL_ENV, None)
    if scheduler:
        env[SCHEDULER_ENV] = scheduler
    return env


class _Children:
    """The notebook processes running now, so an interrupt can stop them (and their kernels)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen] = set()
        self.stopping = threading.Event()

    def start(self, argv, **kwargs) -> subprocess.Popen | None:
        with self.lock:
            if self.stopping.is_set():
                return None
            # a session of its own: the kernel (a grandchild) goes with it on stop
            proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
            self.procs.add(proc)
            return proc

    def done(self, proc: subprocess.Popen) -> None:
        with self.lock:
            self.procs.discard(proc)

    def stop_all(self, grace: float = 5.0) -> None:
        """No more starts; stop every running notebook process and everything below it.

        The kernels run in sessions of their own, so signalling a notebook's
        process group misses them: the whole tree is collected first (before
        its root dies and the kernel is handed to init), sent SIGTERM, and
        SIGKILL after ``grace``.  Returns once none of them can run any more,
        so the caller may remove the folders they were writing to."""
        with self.lock:
            self.stopping.set()
            procs = list(self.procs)
        _stop_tree(procs, (signal.SIGTERM, signal.SIGKILL), grace)


def _stop_tree(procs: list[subprocess.Popen], signals: tuple[int, ...], grace: float) -> None:
    """Send each of ``signals`` in turn to ``procs`` and all their descendants, ``grace``
    seconds apart, until none of them runs; the SIGKILL one always ends them."""
    tree = {}
    for proc in procs:
        for pid in [proc.pid, *_descendants(proc.pid)]:
            tree[pid] = _start_time(pid)
    for sig in signals:
        for proc in procs:
            _signal_group(proc, sig)
        for pid, started in tree.items():
            _signal_pid(pid, started, sig)
        deadline = time.monotonic() + (grace if sig != signal.SIGKILL else 30.0)
        while True:
            for proc in procs:
                proc.poll()
            tree = {pid: st for pid, st in tree.items() if _alive(pid, st)}
            if not tree:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _descendants(pid: int) -> list[int]:
    import psutil
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _start_time(pid: int) -> float | None:
    import psutil
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _alive(pid: int, started: float | None) -> bool:
    """True while ``pid`` is the same process and not a zombie."""
    import psutil
    try:
        proc = psutil.Process(pid)
        return proc.create_time() == started and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal_pid(pid: int, started: float | None, sig: int) -> None:
    """Signal ``pid`` (and its group when it leads one) unless the pid was reused meanwhile."""
    if not _alive(pid, started):
        return
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _run_one(src: NotebookSource, build: Path, jupyter_path: Path, parameters: dict, small: bool,
             scheduler: str | None, cell_timeout: int | None, timeout: int | None,
             started: dict | None = None, children: _Children | None = None,
             state_dir: Path | None = None, publish_to: Path | None = None) -> NotebookResult:
    children = children or _Children()
    if children.stopping.is_set():
        return NotebookResult(src.name, "failed", error="not started: the run was interrupted")
    if started is not None:
        started[src.name] = time.monotonic()
    work = build / ".runner"
    work.mkdir(parents=True, exist_ok=True)
    job_file, result_file = work / f"{src.name}.job.json", work / f"{src.name}.result.json"
    executed = work / f"{src.name}.ipynb"
    log_file = build / "logs" / f"{src.name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.unlink(missing_ok=True)
    job = {
        "name": src.name, "path": str(src.path.resolve()),
        "output": str(executed),
        "recorded_output": str((publish_to or build) / "notebooks" / f"{src.name}.ipynb"),
        "result": str(result_file), "parameters": parameters, "kernel_name": KERNEL_NAME,
        "cwd": str(src.path.resolve().parent), "cell_timeout": cell_timeout,
    }
    atomic_write_text(job_file, json.dumps(job, indent=1))
    good_before = last_good.shown_time(_read_status(build).get(src.name))
    last_good.set_aside(build, src.name)
    result = None
    try:
        result = _execute(src, build, jupyter_path, parameters, small, scheduler, timeout, children, state_dir,
                          job_file, result_file, log_file)
    finally:
        result_ok = result is not None and result.ok
        kept = last_good.settle(build, src.name, executed, result_ok, good_before)
    result.kept = kept
    return result


def _execute(src, build, jupyter_path, parameters, small, scheduler, timeout, children, state_dir,
             job_file: Path, result_file: Path, log_file: Path) -> NotebookResult:
    start = time.monotonic()
    log_tmp = log_file.with_name(f".{log_file.name}.tmp")
    try:
        with open(log_tmp, "wb") as log:
            proc = children.start([sys.executable, "-m", "dmabuf_lab.runner.execute", str(job_file)],
                                  env=_child_env(src, build, jupyter_path, small, scheduler, state_dir,
                                                 parameters),
                                  stdout=log, stderr=subprocess.STDOUT, cwd=str(lab_root()))
            if proc is None:
                return NotebookResult(src.name, "failed", error="not started: the run was interrupted")
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop_tree([proc], (signal.SIGKILL,), 0.0)
                proc.wait()
                return NotebookResult(src.name, "failed", round(time.monotonic() - start, 2),
                                      error=f"timed out after {timeout} s", log=str(log_file))
            finally:
                children.done(proc)
            if children.stopping.is_set():
                return NotebookResult(src.name, "failed", round(time.monotonic() - start, 2),
                                      error="stopped: the run was interrupted", log=str(log_file))
    finally:
        if log_tmp.exists():
            os.replace(log_tmp, log_file)  # a reader never sees half a log from an earlier run
    if result_file.exists():
        result = NotebookResult.from_json(json.loads(result_file.read_text(encoding="utf-8")))
    else:
        tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        result = NotebookResult(src.name, "failed", round(time.monotonic() - start, 2),
                                error=f"runner process exited with {code}: {' '.join(tail)}")
    result.log = str(log_file)
    return result


def _read_status(build: Path) -> dict:
    try:
        status = json.loads((build / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def _record_status(build: Path, results: list[NotebookResult]) -> None:
    """Per notebook: its last run (``status``, ``when``, ``problem`` in one publishable line)
    and ``shown``, when the run behind its published page was made."""
    status = _read_status(build)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for r in results:
        status[r.name] = {"status": r.status, "seconds": r.seconds, "when": now,
                          "problem": None if r.ok else public_line(r.describe(), build=build),
                          "shown": now if r.ok else r.kept}
    atomic_write_text(build / STATUS_FILE, json.dumps(status, indent=1, sort_keys=True) + "\n")


def run_notebooks(sources: list[NotebookSource], *, build: Path, parameters: dict | None = None,
                  small: bool = False, jobs: int | None = None, scheduler: str | None = None,
                  cell_timeout: int | None = None, timeout: int | None = 3600,
                  echo: Callable[[str], None] = print, note_every: float = 60.0,
                  state_dir: Path | None = None, publish_to: Path | None = None) -> list[NotebookResult]:
    """Execute ``sources`` into ``build/notebooks``; return one result per notebook, in order.

    ``state_dir`` holds what the kernels would otherwise keep under the home
    folder (IPython's profile, Jupyter's runtime files, caches); default
    ``build/.state``.  ``publish_to``: the folder ``build`` will be moved to
    (notebooks record that path, not the staging one).  On KeyboardInterrupt no further notebook starts, the
    running ones are stopped with their kernels, and the interrupt is raised.
    """
    build = Path(build).resolve()
    children = _Children()
    params = dict(parameters or {})
    if small:
        params["small"] = True
    jupyter_path = install_kernel_spec(build)
    jobs = jobs or default_jobs(len(sources))
    total = len(sources)
    width = max((len(s.name) for s in sources), default=0)
    where = f"{publish_to} (staged in {build.name})" if publish_to is not None else str(build)
    echo(f"running {total} notebook{'s' * (total != 1)} ({jobs} at a time) into {where}")
    results: dict[str, NotebookResult] = {}
    started: dict = {}
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        pending = {}
        for src in sources:
            fut = pool.submit(_run_one, src, build, jupyter_path, params, small, scheduler,
                              cell_timeout, timeout, started, children, state_dir, publish_to)
            pending[fut] = src
        last_note = time.monotonic()
        while pending:
            done, _ = wait(pending, timeout=min(5.0, note_every), return_when=FIRST_COMPLETED)
            for fut in done:
                src = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # a bug in the runner itself, not the notebook
                    res = NotebookResult(src.name, "failed", error=f"{type(exc).__name__}: {exc}")
                results[src.name] = res
                mark = "ok  " if res.ok else "FAIL"
                line = f"[{len(results)}/{total}] {mark} {src.name:<{width}} {res.seconds:7.1f}s"
                if not res.ok:
                    line += f"  {res.describe()}"
                echo(line)
            if pending and time.monotonic() - last_note >= note_every:
                last_note = time.monotonic()
                now = time.monotonic()
                running = ", ".join(f"{s.name} ({now - started[s.name]:.0f}s)"
                                    for s in pending.values() if s.name in started)
                if running:
                    echo(f"      still running: {running}")
    except BaseException:
        # Ctrl-C (or any failure of the runner itself): start nothing more, stop what runs
        pool.shutdown(wait=False, cancel_futures=True)
        with _signals_held():      # a second Ctrl-C must not cut the stopping short
            children.stop_all()
        pool.shutdown(wait=True)
        raise
    finally:
        _remove_tree(Path(state_dir if state_dir is not None else build / ".state") / "tmp" / str(os.getpid()))
    pool.shutdown(wait=True)
    kept = build / last_good.KEPT
    if kept.is_dir() and not any(kept.iterdir()):
        kept.rmdir()
    ordered = [results[s.name] for s in sources]
    _record_status(build, ordered)
    return ordered


@contextlib.contextmanager
def _signals_held():
    """Ignore SIGINT and SIGTERM for the duration (main thread only; elsewhere a no-op)."""
    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            saved[sig] = signal.signal(sig, signal.SIG_IGN)
        except ValueError:      # not the main thread
            break
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _remove_tree(path: Path) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)
