"""``dmabuf-lab ask``: what happens if -- one scenario under every revision.

`dmabuf-lab litmus` checks scenarios against the verdicts they expect.
`ask` predicts nothing: it takes a scenario file (its [expect] and
[findings], if any, are ignored) or the same facts as options, runs it under
every revision the lab holds (posted and fixed variants) and prints, per
revision, the verdict, the findings by name and a one-line path through the
steps.  `-v` adds every run's full trace and the findings' sites.

    dmabuf-lab ask --topology gpu-nic-same-switch --exporter vfio-pci --importer rdma
    dmabuf-lab ask litmus/who-orders-the-list.toml --all-variants
    dmabuf-lab ask --topology xe-sriov-8vf --exporter vfio-pci --exporter-device 0000:03:00.2 \\
        --importer xe --importer-device 0000:03:00.0 --set importer.allow_peer2peer=false -v

Facts left out are filled in and printed: the exporter device is the first
endpoint the exporter driver binds (vfio-pci: the one with the largest
prefetchable BAR, one 2 MiB range at its start); the importer device the
first other endpoint the importer driver binds (none for iommufd and kvm).
The scenario checker applies: a driver on a device it does not bind, or on
a bridge or switch port, is refused unless --construction says why.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from dmabuf_lab.errors import LabInputError

MiB = 1 << 20
#: Importer drivers whose "device" is optional: they act for user space or a guest.
DEVICELESS_IMPORTERS = ("iommufd", "kvm")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO",
                        help="a litmus scenario file (TOML); [expect] and [findings] are not needed "
                             "and are ignored; options below override its facts")
    parser.add_argument("--topology", metavar="PRESET|PATH",
                        help="topology preset (see `dmabuf-lab topology --list`) or a capture path")
    parser.add_argument("--exporter", metavar="DRIVER", help="exporter driver, e.g. vfio-pci, xe, system")
    parser.add_argument("--exporter-device", metavar="BDF", help="PCI address the exporter is bound to")
    parser.add_argument("--bar", type=int, metavar="N", help="the exporter's BAR index (vfio-pci)")
    parser.add_argument("--range", dest="ranges", action="append", metavar="OFFSET:LENGTH",
                        help="an exported [offset, length] inside the BAR, e.g. 0:0x200000 "
                             "(repeat for several)")
    parser.add_argument("--importer", metavar="DRIVER",
                        help="importer driver, e.g. rdma, xe, iommufd, kvm, legacy, peer-gpu")
    parser.add_argument("--importer-device", metavar="BDF", help="PCI address the importer is bound to")
    attach = parser.add_mutually_exclusive_group()
    attach.add_argument("--dynamic", dest="dynamic", action="store_true", default=None,
                        help="the importer attaches dynamically (move_notify)")
    attach.add_argument("--static", dest="dynamic", action="store_false",
                        help="the importer attaches statically (pinned)")
    parser.add_argument("--steps", metavar="STEP,...",
                        help="comma-separated steps (default attach,map,unmap,detach; also revoke, move)")
    parser.add_argument("--set", dest="options", action="append", default=[], metavar="ROLE.KEY=VALUE",
                        help="a driver option, e.g. importer.allow_peer2peer=false (values are TOML)")
    parser.add_argument("--construction", metavar="WHY",
                        help="allow a placement no real machine has (e.g. RDMA on a GPU), saying why")
    parser.add_argument("--question", metavar="TEXT", help="the question, for the heading")
    parser.add_argument("--revision", action="append", metavar="R",
                        help="only this revision (repeatable; 'rev:variant' for one variant)")
    parser.add_argument("--all-variants", action="store_true",
                        help="every variant of each revision (one per fixed bug, and the modes), "
                             "not just posted and fixed")
    parser.add_argument("--json", action="store_true", help="print the answers as JSON")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print each run's full trace and where each finding was made")


# -- the scenario from the options ----------------------------------------------------------

def _parse_value(text: str, where: str):
    """A ``--set`` value as TOML (true, 3, "x", ["a", "b"]); a bare word is a string."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        if text and all(c.isalnum() or c in "-_.:" for c in text):
            return text
        raise LabInputError(f"cannot read the value {text!r} (expected TOML: true, 3, \"text\", [..])",
                            field=where) from None


def _parse_range(text: str) -> list[int]:
    off, sep, length = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return [int(off, 0), int(length, 0)]
    except ValueError:
        raise LabInputError(f"expected OFFSET:LENGTH (e.g. 0:0x200000), got {text!r}", field="--range") from None


def _read_scenario_file(path: str) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from dmabuf_lab.litmus.scenario import read_scenario_bytes

    p = Path(path)
    raw = read_scenario_bytes(p)         # a regular file only: a FIFO or device is never opened
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise LabInputError("not UTF-8 text; expected a TOML scenario file", file=path,
                            line=raw[:exc.start].count(b"\n") + 1) from None
    except tomllib.TOMLDecodeError as exc:
        raise LabInputError(f"not valid TOML: {exc}", file=path) from None
    data.pop("expect", None)
    data.pop("findings", None)
    if isinstance(data.get("topology"), str) and not Path(data["topology"]).is_absolute():
        from dmabuf_lab.hw import PRESETS
        if data["topology"] not in PRESETS:
            data["topology"] = str((p.parent / data["topology"]).resolve())
    return data


def _endpoints(topo) -> list:
    """Endpoints in address order, physical functions before virtual ones."""
    devs = [d for d in topo.devices.values()
            if not getattr(d, "is_bridge", False) and getattr(d, "pcie_type", "") != "host_bridge"]
    return sorted(devs, key=lambda d: (getattr(d, "is_virtfn", False), d.bdf))


def _largest_prefetchable_bar(dev):
    bars = [b for b in getattr(dev, "bars", {}).values() if getattr(b, "prefetchable", False)]
    return max(bars, key=lambda b: (b.size, -b.index), default=None)


def fill_in(data: dict) -> list[str]:
    """Choose the facts the question left out; return one line per choice made."""
    from dmabuf_lab.hw import load_topology
    from dmabuf_lab.litmus.placement import placement_problem

    notes: list[str] = []
    topo = load_topology(data["topology"])
    exp, imp = data.setdefault("exporter", {}), data.setdefault("importer", {})
    if "device" not in exp and exp.get("driver") not in (None, "system"):
        candidates = [d for d in _endpoints(topo) if placement_problem(exp["driver"], "exporter", d) is None]
        if exp["driver"] == "vfio-pci":
            candidates = [d for d in candidates if _largest_prefetchable_bar(d) is not None]
            candidates.sort(key=lambda d: (-_largest_prefetchable_bar(d).size, d.is_virtfn, d.bdf))
        if not candidates:
            raise LabInputError(f"no device in {data['topology']} that {exp['driver']} binds; "
                                "name one with --exporter-device", field="--exporter-device")
        exp["device"] = candidates[0].bdf
        notes.append(f"exporter device {exp['device']}: the first endpoint {exp['driver']} binds")
    if exp.get("driver") == "vfio-pci" and "device" in exp:
        dev = topo.devices.get(exp["device"])
        if "bar" not in exp and dev is not None:
            bar = _largest_prefetchable_bar(dev)
            if bar is not None:
                exp["bar"] = bar.index
                notes.append(f"BAR {bar.index}: the largest prefetchable BAR of {exp['device']}")
        if not exp.get("ranges"):
            exp["ranges"] = [[0, 2 * MiB]]
            notes.append("ranges [[0x0, 0x200000]]: one 2 MiB slice at the start of the BAR")
    if "device" not in imp and imp.get("driver") not in DEVICELESS_IMPORTERS:
        taken = exp.get("device")
        candidates = [d for d in _endpoints(topo)
                      if d.bdf != taken and placement_problem(imp["driver"], "importer", d) is None]
        if not candidates:
            raise LabInputError(f"no device in {data['topology']} that {imp['driver']} binds; "
                                "name one with --importer-device (and --construction if it is one "
                                "no real machine has)", field="--importer-device")
        imp["device"] = candidates[0].bdf
        notes.append(f"importer device {imp['device']}: the first other endpoint {imp['driver']} binds")
    return notes


def scenario_data(args) -> dict:
    """The scenario as a dict: the file's facts (if any), then the options over them."""
    data = _read_scenario_file(args.scenario) if args.scenario else {}
    exp = dict(data.get("exporter") or {})
    imp = dict(data.get("importer") or {})
    if args.topology:
        data["topology"] = args.topology
    if args.exporter:
        exp["driver"] = args.exporter
    if args.exporter_device:
        exp["device"] = args.exporter_device
    if args.bar is not None:
        exp["bar"] = args.bar
    if args.ranges:
        exp["ranges"] = [_parse_range(r) for r in args.ranges]
    if args.importer:
        imp["driver"] = args.importer
    if args.importer_device:
        imp["device"] = args.importer_device
    if args.dynamic is not None:
        imp["dynamic"] = args.dynamic
    if args.steps:
        data["steps"] = [s.strip() for s in args.steps.split(",") if s.strip()]
    for item in args.options:
        key, sep, value = item.partition("=")
        role, dot, name = key.partition(".")
        if not sep or not dot or role not in ("exporter", "importer") or not name:
            raise LabInputError(f"expected exporter.KEY=VALUE or importer.KEY=VALUE, got {item!r}",
                                field="--set")
        (exp if role == "exporter" else imp)[name] = _parse_value(value, "--set")
    if args.construction:
        data["construction"] = args.construction
    for what, table, flag in (("exporter", exp, "--exporter"), ("importer", imp, "--importer")):
        if "driver" not in table:
            raise LabInputError(f"no {what} driver: give a SCENARIO file or {flag} DRIVER", field=flag)
    if "topology" not in data:
        raise LabInputError("no topology: give a SCENARIO file or --topology PRESET", field="--topology")
    data["exporter"], data["importer"] = exp, imp
    if args.question:
        data["question"] = args.question
    data.setdefault("question", f"What does {imp['driver']} get from {exp['driver']} on {data['topology']}?")
    return data


# -- running and printing -----------------------------------------------------------------------

def targets(revisions: list[str] | None, all_variants: bool) -> list[str]:
    """Every revision the registry holds, posted and fixed (or every variant), in posting order."""
    from dmabuf_lab.revisions import REVISIONS, RevisionNotAvailable, get_revision, split_target
    from dmabuf_lab.revisions.base import FIXED, POSTED

    chosen = revisions or list(REVISIONS)
    out: list[str] = []
    for want in chosen:
        name, variant = split_target(want)
        if name not in REVISIONS:
            raise LabInputError(f"unknown revision {name!r}; known: {', '.join(REVISIONS)}", field="--revision")
        try:
            known = get_revision(name).variants
        except RevisionNotAvailable:
            out.append(name)
            continue
        if ":" in want:
            if variant not in known:
                raise LabInputError(f"revision {name!r} has no variant {variant!r}; known: {', '.join(known)}",
                                    field="--revision")
            out.append(want)
            continue
        for v in known:
            if all_variants or v in (POSTED, FIXED):
                out.append(name if v == POSTED else f"{name}:{v}")
    return out


def one_line_path(verdict) -> str:
    """The run as one line: each step, what the drivers said on the way, where it stopped."""
    parts: list[str] = []
    for line in verdict.trace:
        if line.startswith("step "):
            parts.append(line[5:])
        elif line.startswith("outcome "):
            continue
        elif parts:
            parts[-1] += f" ({line})"
        else:
            parts.append(f"export ({line})")
    path = " > ".join(parts)
    if verdict.step:
        path += f" -> {verdict.outcome} at {verdict.step}"
    else:
        path += f" -> {verdict.outcome}"
    if verdict.detail:
        path += f": {verdict.detail}"
    return path


def _describe(scenario, notes: list[str]) -> list[str]:
    e, i = scenario.exporter, scenario.importer
    exp = f"{e.driver}" + (f" on {e.device}" if e.device else "") + (f" BAR {e.bar}" if e.bar is not None else "")
    if e.ranges:
        exp += ", ranges " + ", ".join(f"[{o:#x}, {n:#x}]" for o, n in e.ranges)
    if e.options:
        exp += ", " + ", ".join(f"{k}={v}" for k, v in e.options.items())
    imp = f"{i.driver}" + (f" on {i.device}" if i.device else "")
    if i.dynamic is not None:
        imp += ", dynamic" if i.dynamic else ", static"
    if i.options:
        imp += ", " + ", ".join(f"{k}={v}" for k, v in i.options.items())
    lines = [f"question: {scenario.question}",
             f"topology: {scenario.topology_ref}",
             f"exporter: {exp}", f"importer: {imp}", f"steps:    {' '.join(scenario.steps)}"]
    if scenario.construction:
        lines.append(f"construction: {scenario.construction}")
    lines += [f"  (chose {n})" for n in notes]
    return lines


def main(args) -> int:
    from dmabuf_lab.litmus.runner import run_once
    from dmabuf_lab.litmus.scenario import scenario_from_data

    start = time.perf_counter()
    data = scenario_data(args)
    notes = fill_in(data)
    where = args.scenario or "<command line>"
    scenario = scenario_from_data(data, where=where)
    answers = []
    for target in targets(args.revision, args.all_variants):
        verdict = run_once(scenario.fresh_topology(), scenario.exporter, scenario.importer,
                           scenario.steps, target)
        answers.append((target, verdict))
    elapsed = time.perf_counter() - start

    if args.json:
        json.dump({"question": scenario.question, "topology": scenario.topology_ref,
                   "construction": scenario.construction, "chosen": notes,
                   "answers": [{"target": t, "outcome": v.outcome, "step": v.step,
                                "findings": v.finding_kinds, "path": one_line_path(v),
                                "verdict": v.as_dict()} for t, v in answers]},
                  sys.stdout, indent=1)
        print()
        return 0

    print("\n".join(_describe(scenario, notes)))
    print()
    tw = max([len("revision")] + [len(t) for t, _ in answers])
    vw = max([len("verdict")] + [len(v.outcome) for _, v in answers])
    fw = max([len("findings")] + [len(", ".join(v.finding_kinds) or "-") for _, v in answers])
    print(f"{'revision':<{tw}}  {'verdict':<{vw}}  {'findings':<{fw}}  path")
    print(f"{'-' * tw}  {'-' * vw}  {'-' * fw}  {'-' * 4}")
    for target, v in answers:
        print(f"{target:<{tw}}  {v.outcome:<{vw}}  {', '.join(v.finding_kinds) or '-':<{fw}}  "
              f"{one_line_path(v)}")
        if args.verbose:
            for line in v.trace:
                print(f"{'':<{tw}}    | {line}")
            for f in v.findings:
                print(f"{'':<{tw}}    ! {f}")
    print(f"\n{len(answers)} runs in {elapsed:.2f} s; `dmabuf-lab litmus` checks a scenario's "
          "expected verdicts, -v here prints the traces")
    return 0
