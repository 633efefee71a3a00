"""``dmabuf-lab topology``: print a preset or a captured machine as a tree or as JSON.

    dmabuf-lab topology                      every preset's tree
    dmabuf-lab topology xe-sriov-8vf         one preset
    dmabuf-lab topology xe-sriov-8vf --json  its devices as JSON
    dmabuf-lab topology --list               preset names
    dmabuf-lab topology --from-lspci FILE    a machine from `lspci -vvv` text
    dmabuf-lab topology --from-lspci A --from-dmesg B --from-resource 0000:05:00.0=C
                                             the same machine, completed by its kernel log
                                             and a function's sysfs `resource` file
    dmabuf-lab topology --from-sysfs DIR     a machine from a sysfs snapshot
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from dmabuf_lab.errors import TopologyError
from dmabuf_lab.hw.json_export import topology_to_json
from dmabuf_lab.hw.presets import PRESET_HELP, PRESETS, _loaders, load_topology


def add_arguments(parser) -> None:
    """Options of the ``topology`` subcommand."""
    parser.add_argument("preset", nargs="?", metavar="PRESET",
                        help="preset name or a snapshot path (default: every preset)")
    parser.add_argument("--json", action="store_true", help="print the devices as JSON instead of a tree")
    parser.add_argument("--list", action="store_true", help="list the preset names and exit")
    parser.add_argument("--from-lspci", metavar="FILE", action="append",
                        help="build the topology from `lspci -vvv` output (repeat for several files "
                             "of one machine)")
    parser.add_argument("--from-dmesg", metavar="FILE", action="append",
                        help="kernel log lines of the same machine: ids and SR-IOV windows "
                             "(with --from-lspci; repeatable)")
    parser.add_argument("--from-resource", metavar="BDF=FILE", action="append",
                        help="one function's /sys/bus/pci/devices/BDF/resource file of the same machine "
                             "(with --from-lspci; repeatable)")
    parser.add_argument("--from-sysfs", metavar="DIR", help="build the topology from a sysfs snapshot")
    parser.add_argument("--p2p", choices=("auto", "summary", "all"), default="auto",
                        help="P2P section: every pair (all), counts per root port (summary), or "
                             "every pair up to 64 and counts above that (auto, the default)")


def _existing_file(path: str, option: str, what: str) -> Path:
    # The option names a file: never read a missing path as capture text.
    if not Path(path).is_file():
        why = "not a regular file" if Path(path).exists() else "no such file"
        raise TopologyError(f"{why}; expected a file holding {what}", file=path, field=option)
    return Path(path)


def resource_option(text: str) -> tuple[str, Path]:
    """``BDF=FILE`` of --from-resource -> (bdf, path)."""
    bdf, sep, path = text.partition("=")
    if not sep or not bdf.strip() or not path.strip():
        raise TopologyError(f"{text!r}: expected BDF=FILE, e.g. 0000:05:00.0=resource",
                            field="--from-resource")
    return bdf.strip(), _existing_file(path.strip(), "--from-resource", "a sysfs resource file")


def _from_files(args):
    loaders = _loaders()
    if loaders is None or not hasattr(loaders, "load_files"):
        raise TopologyError("capture loading is not available in this tree", field="--from-lspci")
    lspci = [_existing_file(p, "--from-lspci", "`lspci -vvv` output") for p in args.from_lspci]
    dmesg = [_existing_file(p, "--from-dmesg", "kernel log lines") for p in args.from_dmesg or ()]
    resource = dict(resource_option(r) for r in args.from_resource or ())
    if len(lspci) == 1 and not dmesg and not resource:
        return loaders.load_lspci(lspci[0])
    return loaders.load_files(lspci, dmesg, resource)


def _from_capture(kind: str, path: str):
    loaders = _loaders()
    fn = getattr(loaders, f"load_{kind}", None) if loaders is not None else None
    if fn is None:
        raise TopologyError(f"cannot read {path}: {kind} snapshot loading is not available in this tree",
                            file=path)
    if kind == "lspci":
        # The option names a file: never read a missing path as capture text.
        if not Path(path).is_file():
            raise TopologyError(("not a regular file" if Path(path).exists() else "no such file")
                                + "; expected a file holding `lspci -vvv` output",
                                file=path, field="--from-lspci")
        return fn(Path(path))
    return fn(path)


def main(args) -> int:
    """Print what was asked for; input errors surface as TopologyError (exit status 2 from the CLI)."""
    out = sys.stdout
    if args.list:
        width = max(len(n) for n in PRESETS)
        for name in PRESETS:
            out.write(f"{name:<{width}}  {PRESET_HELP.get(name, '')}\n")
        return 0
    for given, fld in ((args.preset, "preset"), (args.from_lspci, "--from-lspci"),
                       (getattr(args, "from_dmesg", None), "--from-dmesg"), (args.from_sysfs, "--from-sysfs")):
        names = given if isinstance(given, list) else [given]
        if any(n is not None and not n.strip() for n in names):
            raise TopologyError("empty name; expected a preset name (see --list) or a capture path",
                                field=fld)
    sources = [s for s in (args.preset, args.from_lspci, args.from_sysfs) if s]
    if len(sources) > 1:
        raise TopologyError("give one of PRESET, --from-lspci or --from-sysfs", field="preset")
    completing = getattr(args, "from_dmesg", None) or getattr(args, "from_resource", None)
    if completing and not args.from_lspci:
        raise TopologyError("--from-dmesg and --from-resource complete an lspci capture; "
                            "give it with --from-lspci", field="--from-lspci")
    if args.from_lspci:
        topos = [_from_files(args)]
    elif args.from_sysfs:
        topos = [_from_capture("sysfs", args.from_sysfs)]
    elif args.preset:
        topos = [load_topology(args.preset)]
    else:
        topos = [PRESETS[name]() for name in PRESETS]
    if args.json:
        if len(topos) == 1 and sources:
            data = _to_json(topos[0])
        else:
            data = {t.name: _to_json(t) for t in topos}
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    out.write("\n".join(t.render_tree(p2p=args.p2p) for t in topos))
    return 0


def _to_json(topo) -> list[dict]:
    """Device records; a loaded capture keeps null for what it did not show."""
    if getattr(topo, "capture", None) is not None:
        from dmabuf_lab.hw.loaders.capture_json import capture_topology_to_json
        return capture_topology_to_json(topo)
    return topology_to_json(topo)
