"""``dmabuf-lab ask``: what happens if -- one scenario under every revision.

`dmabuf-lab litmus` checks scenarios against the verdicts they expect.
`ask` predicts nothing: it takes a scenario file (its [expect] and
[findings], if any, are ignored) or the same facts as options, runs it under
every revision the lab holds (posted and fixed variants) and prints, per
revision, the verdict, the findings by id (the ids `dmabuf-lab findings
--format email ID` takes) and, for an errno, the kernel function that
returned it and the test that made it do so, with the verdict each Kconfig
option would give instead; the path through the steps most runs share is
printed once.  `-v` adds each run's kernel call path and each finding's
call chain (`-vv` also the calls that build the topology).

    dmabuf-lab ask --topology gpu-nic-same-switch --exporter vfio-pci --importer rdma
    dmabuf-lab ask litmus/who-orders-the-list.toml --all-variants
    dmabuf-lab ask --topology xe-sriov-8vf --exporter vfio-pci --exporter-device 0000:03:00.2 \\
        --importer xe --importer-device 0000:03:00.0 --set importer.allow_peer2peer=false -v

Facts left out are filled in and printed: the exporter device is the first
endpoint the exporter driver binds (vfio-pci: the one with the largest
prefetchable BAR, one 2 MiB range at its start); the importer device the
first other endpoint the importer driver binds (none for iommufd and kvm).
The scenario checker applies: a driver on a device it does not bind, or on
a bridge or switch port, is refused unless --construction says why.  A
scenario with [threads] is explored interleaving by interleaving, as
`dmabuf-lab litmus` does, and each revision's failing properties printed.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
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
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="print each run's kernel call path and each finding's call chain "
                             "(-vv: also the calls that build the topology)")


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
    """The facts of a scenario file, read and type-checked as ``dmabuf-lab litmus`` reads them."""
    from dmabuf_lab.litmus.scenario import absolute_topology_files, precheck_data, read_scenario_file

    p = Path(path)
    text, data = read_scenario_file(p)
    precheck_data(data, where=path, text=text)
    data.pop("expect", None)
    data.pop("findings", None)
    data.pop("races", None)
    if isinstance(data.get("topology"), str) and not Path(data["topology"]).is_absolute():
        from dmabuf_lab.hw import PRESETS
        if data["topology"] not in PRESETS:
            data["topology"] = str((p.parent / data["topology"]).resolve())
    elif isinstance(data.get("topology"), dict):
        data["topology"] = absolute_topology_files(data["topology"], p, text)
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
            if args.scenario:
                raise LabInputError(f"no {what} driver: the file has no [{what}] table with a driver = "
                                    f"\"...\" line; add one or give {flag} DRIVER", file=args.scenario,
                                    field=f"{what}.driver")
            raise LabInputError(f"no {what} driver: give a SCENARIO file or {flag} DRIVER", field=flag)
    if "topology" not in data:
        raise LabInputError("no topology: give a SCENARIO file or --topology PRESET", field="--topology")
    data["exporter"], data["importer"] = exp, imp
    if args.question:
        data["question"] = args.question
    data.setdefault("question", f"What does {imp['driver']} get from {exp['driver']} on {data['topology']}?")
    from dmabuf_lab.litmus.scenario import precheck_data
    precheck_data(data, where=args.scenario or "<command line>")
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
            from dmabuf_lab.revisions import unknown_revision
            raise LabInputError(unknown_revision(name), field="--revision")
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


def answer(scenario, target: str, *, explain_errno: bool = True):
    """Run ``scenario`` under ``target``: an :class:`~dmabuf_lab.litmus.ask_text.Answer` with
    its finding ids, the origin of its errno and the verdicts the Kconfig flips give."""
    from dmabuf_lab.litmus.kconfig_flip import config_notes
    from dmabuf_lab.findings.match import finding_labels
    from dmabuf_lab.litmus.ask_text import Answer
    from dmabuf_lab.litmus.errno_origin import errno_origin, why_line
    from dmabuf_lab.litmus.runner import run_once

    def run():
        return run_once(scenario.fresh_topology(), scenario.exporter, scenario.importer, scenario.steps, target)

    verdict = run()
    notes = config_notes(scenario.fresh_topology, scenario.exporter, scenario.importer, scenario.steps,
                         target, verdict)
    why = ""
    if explain_errno and verdict.outcome.startswith("-E"):
        _, origin = errno_origin(run, verdict.outcome)
        if origin is not None:
            why = why_line(origin)
    return Answer(target, verdict, finding_labels(verdict, target), why, notes)


def main(args) -> int:
    from dmabuf_lab.findings.match import known_ids
    from dmabuf_lab.litmus.ask_text import WIDTH, render
    from dmabuf_lab.litmus.scenario import scenario_from_data

    start = time.perf_counter()
    data = scenario_data(args)
    notes = fill_in(data)
    where = args.scenario or "<command line>"
    scenario = scenario_from_data(data, where=where)
    if scenario.concurrent:
        from dmabuf_lab.litmus.ask_races import answer_races
        return answer_races(scenario, targets(args.revision, args.all_variants), notes, args, start)
    answers = [answer(scenario, target) for target in targets(args.revision, args.all_variants)]
    elapsed = time.perf_counter() - start

    if args.json:
        json.dump({"question": scenario.question, "topology": scenario.topology_ref,
                   "construction": scenario.construction, "chosen": notes,
                   "answers": [a.as_dict() for a in answers]}, sys.stdout, indent=1)
        print()
        return 0

    for line in _describe(scenario, notes):
        print(textwrap.fill(line, WIDTH, subsequent_indent=" " * 10, break_on_hyphens=False,
                            break_long_words=False))
    print("\n".join(render(answers)))
    if args.verbose:
        _print_paths(scenario, answers, construction=args.verbose >= 2)
    ids = sorted({x for a in answers for x in a.labels if x in known_ids()})
    print()
    tail = [f"{len(answers)} runs in {elapsed:.2f} s."]
    if ids:
        tail.append("A finding id's bug report: `dmabuf-lab findings --format email ID`.")
    tail.append("-v: each run's kernel call path; `dmabuf-lab litmus` checks a scenario's expected verdicts.")
    print(textwrap.fill(" ".join(tail), WIDTH, break_on_hyphens=False, break_long_words=False))
    return 0


def _print_paths(scenario, answers, construction: bool) -> None:
    """Each run's modelled kernel call path, handovers and findings with their call chains."""
    from dmabuf_lab.findings.match import finding_id
    from dmabuf_lab.litmus.explain import explain_run, render, wrap_lines
    from dmabuf_lab.litmus.runner import run_once

    for a in answers:
        print(f"\n# {a.target}")
        verdict, ex = explain_run(lambda: run_once(scenario.fresh_topology(), scenario.exporter,
                                                   scenario.importer, scenario.steps, a.target),
                                  construction=construction)
        lines = render(verdict, ex, label=lambda f: finding_id(f, a.target) or f.kind)
        if a.why:
            lines += wrap_lines([f"  why: {a.why}"] + [f"  if {note}" for note in a.config])
        print("\n".join(lines))
