"""``dmabuf-lab run``: re-run the notebooks headless and rebuild ``build/``.

With no NOTEBOOK it first prints the topology presets and runs the litmus
checks (when those parts of the lab are present), then executes every
notebook in ``notebooks/``, exports their figures and rebuilds the offline
site.  Naming notebooks re-runs just those; the site still links every
notebook executed so far.  The exit status is non-zero when anything failed.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import sys
import time
from pathlib import Path

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.paths import lab_root
from dmabuf_lab.runner.parameters import ParameterError, check_params, parse_params, raw_params

__all__ = ["ParameterError", "add_arguments", "check_params", "main", "parse_params"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                        help="notebooks to run (e.g. 05, 05_rfc_v1_review_containers); default: all")
    parser.add_argument("-p", "--params", nargs="+", action="extend", metavar="NAME=VALUE",
                        help="set notebook parameters (values are JSON, else text); each name must "
                             "be a parameter of a notebook being run (an unknown one is an error that "
                             "lists them) and each value must fit its type there (the parameter "
                             "cell's annotation or default); name notebooks before this option")
    parser.add_argument("--small", action="store_true",
                        help="shrink every notebook's sizes (sets the parameter small=True)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output directory (default: build/ in the checkout)")
    parser.add_argument("-j", "--jobs", type=int, default=None,
                        help="notebooks to run at once (default: up to 2)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="Dask scheduler address (e.g. tcp://127.0.0.1:8786) for the notebooks' fault "
                             "sweeps and negotiation matrices (default: local processes)")
    parser.add_argument("--no-checks", action="store_true",
                        help="skip the topology presets and litmus checks run before all notebooks")
    parser.add_argument("--no-site", action="store_true", help="do not rebuild build/site")
    parser.add_argument("--cell-timeout", type=int, default=None, metavar="SECONDS",
                        help="fail a cell that runs longer than this (default: no limit)")
    parser.add_argument("--list", action="store_true", help="list the notebooks and exit")
    parser.add_argument("--notebooks-dir", default=None, help=argparse.SUPPRESS)


def _print_topologies(echo) -> bool:
    """Print every topology preset as a tree; False when that part of the lab fails."""
    try:
        from dmabuf_lab import hw
    except Exception as exc:
        echo(f"topology presets: cannot import dmabuf_lab.hw: {exc}")
        return False
    presets, load = getattr(hw, "PRESETS", None), getattr(hw, "load_topology", None)
    if presets is None or load is None:
        echo("topology presets: not present in this tree (dmabuf_lab.hw has no PRESETS)")
        return True
    ok = True
    echo("== topology presets")
    for name in presets:
        try:
            echo(f"-- {name}")
            echo(load(name).render_tree().rstrip())
        except Exception as exc:
            echo(f"   cannot render {name}: {type(exc).__name__}: {exc}")
            ok = False
    return ok


def _run_litmus(echo) -> bool:
    """Run ``dmabuf-lab litmus`` with its defaults; False when a check fails."""
    try:
        spec = importlib.util.find_spec("dmabuf_lab.litmus.command")
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        echo("litmus checks: not present in this tree (no dmabuf_lab.litmus.command)")
        return True
    echo("== litmus checks")
    try:
        from dmabuf_lab.litmus import command as mod
        parser = argparse.ArgumentParser(prog="dmabuf-lab litmus")
        mod.add_arguments(parser)
        rc = int(mod.main(parser.parse_args([])) or 0)
    except LabInputError as exc:
        echo(f"litmus checks: error: {exc}")
        return False
    except Exception as exc:
        echo(f"litmus checks: crashed: {type(exc).__name__}: {exc}")
        return False
    if rc:
        echo(f"litmus checks: FAILED (exit status {rc})")
    return rc == 0


def main(args: argparse.Namespace) -> int:
    from dmabuf_lab.runner.notebook_source import discover, select

    def echo(line: str) -> None:
        print(line, flush=True)

    root = lab_root()
    nb_dir = Path(args.notebooks_dir) if args.notebooks_dir else root / "notebooks"
    available = discover(nb_dir)
    if args.list:
        for nb in available:
            echo(nb.name)
        return 0
    chosen = select(available, args.notebooks)
    params = check_params(parse_params(args.params), chosen, raw_params(args.params))
    build = Path(args.out).resolve() if args.out else root / "build"
    try:
        build.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LabInputError(f"cannot create the output directory {build}: {exc.strerror}; "
                            "expected a writable directory", field="--out") from None
    if args.jobs is not None and args.jobs < 1:
        raise LabInputError(f"expected a positive number of notebooks at once, got {args.jobs}",
                            field="--jobs")
    if args.cell_timeout is not None and args.cell_timeout <= 0:
        raise LabInputError(f"expected a positive number of seconds, got {args.cell_timeout}",
                            field="--cell-timeout")
    if args.scheduler:
        from dmabuf_lab.tasks.executors import check_scheduler
        echo(check_scheduler(args.scheduler))   # an unreachable address stops here, not in every notebook
    from dmabuf_lab.runner import build_dir

    with build_dir.build_lock(build), _terminate_as_interrupt():
        build_dir.recover(build)
        try:
            return _run_locked(args, echo, build, nb_dir, available, chosen, params)
        except KeyboardInterrupt:
            for staging in build.glob(f".staging-{os.getpid()}"):
                build_dir.discard(staging)
            echo(f"interrupted: no further notebook started, the running ones were stopped; "
                 f"{build} holds the last complete run")
            return 130


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM and SIGHUP stop a run the way Ctrl-C does (the notebooks run in sessions of
    their own, so only the runner can stop them)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    saved = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            saved[sig] = signal.signal(sig, interrupt)
        except ValueError:      # not the main thread
            pass
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _run_locked(args, echo, build: Path, nb_dir: Path, available, chosen, params) -> int:
    """The run itself, with the build folder locked: checks, notebooks into staging, site, publish."""
    from dmabuf_lab.runner import build_dir
    from dmabuf_lab.runner.run_notebooks import run_notebooks

    start = time.monotonic()
    checks_ok = True
    if not args.notebooks and not args.no_checks:
        checks_ok = _print_topologies(echo) & _run_litmus(echo)

    if not chosen:
        echo(f"no notebooks found in {nb_dir}")
        return 0 if checks_ok else 1
    full = {nb.name for nb in chosen} == {nb.name for nb in available}
    staging = build_dir.stage(build, rerun=[nb.name for nb in chosen], full=full)
    try:
        results = run_notebooks(chosen, build=staging, parameters=params, small=args.small, jobs=args.jobs,
                                scheduler=args.scheduler, cell_timeout=args.cell_timeout, echo=echo,
                                state_dir=build / ".state", publish_to=build)
    except BaseException:
        build_dir.discard(staging)
        raise
    build_dir.drop_temporaries(staging)
    failed = [r for r in results if not r.ok]
    for r in results:   # point at where the log will be once published
        if r.log:
            r.log = str(build / Path(r.log).relative_to(staging))

    site_ok = True
    if not args.no_site:
        from dmabuf_lab.figures.site import build_site
        try:
            report = build_site(staging, notebook_names=[nb.name for nb in available])
            echo(f"site: {build / report.index.relative_to(staging)} ({len(report.pages)} notebooks, {report.charts} charts)")
            for name, count in report.offline_problems.items():
                echo(f"site: {name} has {count} output(s) that need the network; "
                     "display charts through dmabuf_lab.figures")
                site_ok = False
        except Exception as exc:
            echo(f"site: could not build: {type(exc).__name__}: {exc}")
            site_ok = False
    build_dir.publish(staging, build)

    figures = sorted((build / "figures").glob("*/*.txt"))
    elapsed = time.monotonic() - start
    echo(f"{len(results) - len(failed)} of {len(results)} notebooks ok, {len(figures)} figures "
         f"under {build / 'figures'}; {elapsed:.1f} s")
    for r in failed:
        echo(f"FAILED {r.name}: {r.describe()}  (log: {r.log})")
    if not checks_ok:
        echo("FAILED the checks before the notebooks (see above)")
    return 0 if not failed and checks_ok and site_ok else 1


if __name__ == "__main__":  # pragma: no cover
    p = argparse.ArgumentParser(prog="dmabuf-lab run")
    add_arguments(p)
    sys.exit(main(p.parse_args()))
