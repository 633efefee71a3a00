"""The ``dmabuf-lab`` command: run the lab's notebooks, check and ask its litmus
scenarios, print topologies, benchmark the kernels and export figures.

Each subcommand lives in the module that owns its idea; this file only wires
them up.  A subcommand module provides ``add_arguments(parser)`` and
``main(args) -> int``; its docstring is the subcommand's ``--help`` text.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from dmabuf_lab.errors import LabInputError

# subcommand -> (module, one-line help)
SUBCOMMANDS = {
    "run": ("dmabuf_lab.runner.command", "re-run every notebook headless and export figures to build/"),
    "litmus": ("dmabuf_lab.litmus.command", "check litmus scenarios (scenario x revision -> verdict)"),
    "ask": ("dmabuf_lab.litmus.ask", "what happens if: one scenario under every revision, no expectations"),
    "diff": ("dmabuf_lab.litmus.diff", "every scenario whose verdict or findings differ between two revisions"),
    "topology": ("dmabuf_lab.hw.command", "print a topology preset or a captured machine as a tree"),
    "bench": ("dmabuf_lab.bench.command", "benchmark the bulk kernels against the memory roofline"),
    "export": ("dmabuf_lab.figures.command", "print or export one figure (e.g. --format email)"),
    "findings": ("dmabuf_lab.findings.command", "list the defects the lab found (--format email: bug reports)"),
    "twins": ("dmabuf_lab.twin_index.command", "which Python twin mirrors which kernel C function, read at which commit"),
}


def build_parser(only: str | None = None) -> tuple[argparse.ArgumentParser, dict]:
    """The parser and the subcommand modules; with ``only``, import just that subcommand's module."""
    parser = argparse.ArgumentParser(
        prog="dmabuf-lab", description=" ".join(__doc__.split("\n\n")[0].replace("``", "`").split()),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version,
                        help="print the lab's version and git commit, then exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name, (modname, helptext) in SUBCOMMANDS.items():
        if only is not None and name != only:
            # listed in --help, but its (possibly heavy) module is not imported
            sub.add_parser(name, help=helptext, description=helptext)
            continue
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name and modname.startswith(exc.name):
                continue  # that part of the lab is not present in this tree
            # A package this subcommand needs is missing (e.g. a GPU box with
            # only numpy/numba/CuPy): keep the others usable.
            mod = _Missing(name, exc.name or str(exc))
        p = sub.add_parser(name, help=helptext, description=_description(mod, helptext),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        modules[name] = mod
    return parser, modules


EPILOG = """\
where to start:
  dmabuf-lab run                 every notebook -> build/site/index.html
  dmabuf-lab ask --topology gpu-nic-same-switch --exporter vfio-pci \\
      --importer rdma            one question under every revision
  dmabuf-lab litmus              check every scenario in litmus/
  dmabuf-lab export --list       the exported figures, with captions

`dmabuf-lab COMMAND --help` explains each command and its options."""


class _Version(argparse.Action):
    """``--version``: the package version and git commit, worked out only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from dmabuf_lab.version import version_line
        print(version_line())
        parser.exit()


def _description(mod, fallback: str) -> str:
    """A subcommand's ``--help`` text: its module's docstring, else the one-line help."""
    doc = getattr(mod, "__doc__", None)
    if not doc or isinstance(mod, _Missing):
        return fallback
    return doc.strip().replace("``", "`")


class _Missing:
    """Stands in for a subcommand whose dependencies are not installed."""

    def __init__(self, command: str, package: str):
        self.command, self.package = command, package

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("rest", nargs=argparse.REMAINDER)

    def main(self, args) -> int:
        print(f"dmabuf-lab {self.command}: needs the Python package '{self.package}', "
              f"which is not installed here (pip install -e . installs it)", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    chosen = next((w for w in words if not w.startswith("-")), None)
    parser, modules = build_parser(only=chosen if chosen in SUBCOMMANDS else None)
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].main(args) or 0)
    except LabInputError as exc:
        print(f"dmabuf-lab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
