"""The litmus scenario format and its loader.

One TOML file states one question and the verdict every revision should
give.  The minimum format (it may grow; these keys keep their meaning)::

    question = "Can an xe PF import what vfio-pci exports from its own VF's VRAM BAR?"
    topology = "xe-sriov-8vf"              # preset name, or a snapshot path (relative to the file)
    # or several files of one captured machine (paths relative to the file):
    # topology = { lspci = "a.txt", dmesg = ["b.txt"], resource = { "0000:05:00.0" = "c.txt" } }
    steps = ["attach", "map", "unmap", "detach"]   # optional; also "revoke", "move"
    source = "docs/sources.md mapping-types-2026-02"             # optional: where the expected verdicts come from

    [exporter]
    driver = "vfio-pci"
    device = "0000:03:00.2"                # PCI address in that topology
    bar = 2
    ranges = [[0x0, 0x200000], [0x600000, 0x200000]]   # [offset, length] inside the BAR
    # other keys: options the driver declares (drivers/registry.py; litmus/README.md lists them)

    [importer]
    driver = "xe"                          # iommufd, kvm, rdma, legacy, peer-gpu, xe
    device = "0000:03:00.0"
    dynamic = true                         # optional
    # other keys: options the driver declares, e.g. allow_peer2peer = false

    [expect]                               # per revision: a mapping kind or an errno
    mainline = "sgt-p2p"
    mapping-types-2026-02 = "sgt-p2p"
    "mapping-types-2026-02:fixed" = "sgt-p2p"   # a named variant of a revision

    [findings]                             # optional, per revision: finding kinds
    mapping-types-2026-02 = []

    construction = "why"                   # optional, top level: see below

Outcomes: a mapping kind (``sgt``, ``sgt-p2p``, ``iov``, ``pal``,
``dma-addr``, ``private``, ``pfn``, ``phys``), an errno (``-EINVAL``), or
``crash`` / ``cannot-express``.  A revision absent from ``[expect]`` and
``[findings]`` is not checked.  For a checked revision the findings must be
exactly the listed kinds (none when it is not listed under ``[findings]``).

Loading validates everything a kernel path would not: an unknown key,
revision, driver, driver option (each driver declares the options it reads
in ``dmabuf_lab.drivers.registry``), mapping kind, errno or finding; a device not in the
topology; a range that is not ``[offset, length]`` with positive length
inside the BAR; a driver on a device no real machine binds it to (an
importer on a bridge or switch port, an RDMA importer on a GPU; see
``placement.py``) unless the scenario sets ``construction`` to say why it
uses that placement on purpose; a value of the wrong type
(``scenario_schema.py``, checked before anything else); a driver without
the ``device`` its code reads; overlapping ranges; steps in an order no
importer could issue (``step_order.py``).  Each problem raises :class:`ScenarioError` naming the file,
the line where known, and the key.  Range properties the exporter itself
checks (alignment, for instance) are left to the modelled kernel; set
``unchecked_ranges = true`` in ``[exporter]`` to hand even out-of-BAR or
zero-length ranges to the kernel.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.revisions import ALIASES, REVISIONS, RevisionNotAvailable, get_revision, split_target
from dmabuf_lab.revisions.base import (
    DEFAULT_STEPS, FINDING_KINDS, MAPPING_KINDS, SPECIAL_OUTCOMES, STEPS, ExporterSpec,
    ImporterSpec,
)

U64 = 1 << 64

TOP_KEYS = {"question", "topology", "steps", "source", "notes", "construction", "exporter", "importer",
            "importers", "expect", "findings", "threads", "races", "max_interleavings"}
#: The name of the ``[importer]`` table's importer in a concurrent scenario's threads.
DEFAULT_IMPORTER = "importer"
#: Keys of a thread given as a table (``name = { importer = "...", steps = [...] }``).
THREAD_KEYS = {"importer", "steps"}

#: herd7-style answers for a property over all interleavings.
RACE_VERDICTS = ("always", "sometimes", "never")
EXPORTER_KEYS = {"driver", "device", "bar", "ranges"}
IMPORTER_KEYS = {"driver", "device", "dynamic"}


class ScenarioError(LabInputError):
    """A malformed litmus scenario: names the file, line and key."""


@dataclass
class Scenario:
    """One loaded, validated scenario."""

    path: Path
    question: str
    topology_ref: str
    topology: Any
    steps: tuple
    exporter: ExporterSpec
    importer: ImporterSpec
    expect: dict = field(default_factory=dict)      # target -> outcome string
    findings: dict = field(default_factory=dict)    # target -> tuple of kinds
    source: str = ""
    topology_arg: Any = ""          # a preset name, an absolute path, or a dict of files
    construction: str = ""                          # why an impossible placement is used on purpose
    text: str = field(default="", repr=False)      # the file's text, as parsed
    threads: tuple = ()           # ((name, (step, ...)), ...) of a concurrent scenario
    races: dict = field(default_factory=dict)   # target -> {property: always|sometimes|never}
    max_interleavings: Optional[int] = None
    importers: tuple = ()         # ((name, ImporterSpec), ...): the [importers.<name>] beside [importer]
    thread_importers: dict = field(default_factory=dict)   # thread name -> importer name (default: importer)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def concurrent(self) -> bool:
        """True for a scenario with ``[threads]`` (explored interleaving by interleaving)."""
        return bool(self.threads)

    def fresh_topology(self):
        """A topology of this run's own, so runs never share device state (a large capture is
        built once and only what the run can reach is copied: ``hw.reach``)."""
        from dmabuf_lab.hw.reach import run_topology

        return run_topology(self.topology_arg or self.topology_ref,
                            (self.exporter.device, self.importer.device))

    def targets(self) -> list[str]:
        """The revision[:variant] targets this scenario checks, in file order."""
        seen = list(self.expect)
        seen += [t for t in self.findings if t not in self.expect]
        seen += [t for t in self.races if t not in seen]
        return seen


def _line_of(text: str, section: Optional[str], key: str) -> Optional[int]:
    """Best-effort line number of ``key`` inside ``[section]`` (None if not found)."""
    cur = None
    pat = re.compile(r'^\s*("?)' + re.escape(key) + r'\1\s*=')
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if m:
            cur = m.group(1).strip().strip('"')
            if section is not None and key == "" and cur == section:
                return no
            continue
        if cur == section and pat.match(raw):
            return no
    return None


def _looks_like_path(ref: str) -> bool:
    """True for a topology reference that is a file path rather than a preset name."""
    return "/" in ref or "\\" in ref or bool(Path(ref).suffix)


class _Loader:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text

    def err(self, msg: str, section: Optional[str], key: str) -> ScenarioError:
        field_name = f"{section}.{key}" if section and key else (key or section)
        return ScenarioError(msg, file=str(self.path), line=_line_of(self.text, section, key),
                             field=field_name)

    # -- generic checks --------------------------------------------------
    def unknown_keys(self, table: dict, allowed: set, section: Optional[str], extra_ok=False):
        if extra_ok:
            return
        for k in table:
            if k not in allowed:
                raise self.err(f"unknown key {k!r}; expected one of {sorted(allowed)}", section, k)

    def need_str(self, table, key, section, required=True) -> Optional[str]:
        if key not in table:
            if required:
                raise self.err(f"missing required key {key!r}", section, key)
            return None
        v = table[key]
        if not isinstance(v, str) or not v.strip():
            raise self.err(f"expected a non-empty string, got {v!r}", section, key)
        return v

    # -- the parts ---------------------------------------------------------
    def topology_arg(self, ref: str) -> str:
        """A preset name as is; a snapshot path resolved against the scenario file's directory.

        A reference that names no preset and does not look like a path (no
        directory separator, no suffix) stays as given, so loading it
        reports the unknown preset and lists the known ones.
        """
        from dmabuf_lab.hw import PRESETS

        if ref in PRESETS:
            return ref
        path = Path(ref).expanduser()
        if not path.is_absolute():
            # absolute, so a later fresh_topology() does not depend on the working directory
            path = Path(os.path.abspath(self.path.parent / path))
        if path.exists() or _looks_like_path(ref):
            return str(path)
        return ref

    def topology_files(self, table: dict) -> dict:
        """A ``topology = { lspci = ..., dmesg = ..., resource = {...} }`` table, paths made absolute."""
        allowed = {"lspci", "dmesg", "resource"}
        self.unknown_keys(table, allowed, "topology")
        out: dict = {"lspci": [], "dmesg": [], "resource": {}}

        def path_of(value, what: str) -> str:
            if not isinstance(value, str) or not value.strip():
                raise self.err(f"topology.{what}: expected a file path, got {value!r}", None, "topology")
            p = Path(value).expanduser()
            if not p.is_absolute():
                p = Path(os.path.abspath(self.path.parent / p))
            if not p.is_file():
                raise self.err(f"topology.{what}: capture file {value!r} not found (looked for {p}; a "
                               "relative path is resolved against the scenario file's directory)",
                               None, "topology")
            return str(p)

        for key in ("lspci", "dmesg"):
            value = table.get(key, [])
            for item in value if isinstance(value, list) else [value]:
                out[key].append(path_of(item, key))
        if not out["lspci"]:
            raise self.err("a topology table needs lspci = a file (or a list of files) of lspci output",
                           None, "topology")
        res = table.get("resource", {})
        if not isinstance(res, dict):
            raise self.err(f"topology.resource: expected a table of BDF = file, got {res!r}", None, "topology")
        for bdf, value in res.items():
            out["resource"][bdf] = path_of(value, f"resource.{bdf}")
        return out

    def topology(self, ref):
        from dmabuf_lab.hw import load_topology

        if isinstance(ref, dict):
            try:
                return load_topology(self.topology_files(ref))
            except LabInputError as exc:
                if isinstance(exc, ScenarioError):
                    raise
                raise self.err(f"cannot load topology files: {exc}", None, "topology") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise self.err(f"cannot read topology files: {exc}", None, "topology") from None

        arg = self.topology_arg(ref)
        if arg != ref or _looks_like_path(ref):
            where = Path(arg)
            if not where.exists():
                raise self.err(f"topology snapshot {ref!r} not found (looked for {where}; a relative "
                               f"path is resolved against the scenario file's directory)", None, "topology")
            if not where.is_file() and not where.is_dir():
                raise self.err(f"topology snapshot {where} is not a file or a sysfs snapshot directory",
                               None, "topology")
        try:
            return load_topology(arg)
        except LabInputError as exc:
            raise self.err(f"cannot load topology {ref!r}: {exc}", None, "topology") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self.err(f"cannot read topology snapshot {arg}: {exc}", None, "topology") from None

    def device(self, topo, bdf: Optional[str], section: str):
        if bdf is None:
            return None
        try:
            return topo.device(bdf)
        except LabInputError:
            known = ", ".join(sorted(getattr(topo, "devices", {}))) or "none"
            raise self.err(f"device {bdf!r} is not in the topology (known: {known})",
                           section, "device") from None
        except (KeyError, ValueError):
            known = ", ".join(sorted(getattr(topo, "devices", {}))) or "none"
            raise self.err(f"device {bdf!r} is not in the topology (known: {known})",
                           section, "device") from None

    def driver(self, name: str, role: str, section: str) -> None:
        from dmabuf_lab.drivers.registry import DRIVERS

        if name not in DRIVERS:
            raise self.err(f"unknown driver {name!r}; known drivers: {sorted(DRIVERS)}", section, "driver")
        if role not in DRIVERS[name].roles:
            raise self.err(f"driver {name!r} is never an {role} (it is: {', '.join(DRIVERS[name].roles)})",
                           section, "driver")

    def options(self, table: dict, fixed_keys: set, driver: str, role: str, topo=None) -> dict:
        """The driver options of an [exporter]/[importer] table, each declared by the driver.

        Any key that is neither one of the table's own keys nor an option
        the driver declares (``drivers.registry``) is an error naming the
        valid ones; so is a value of the wrong type or outside its choices.
        """
        from dmabuf_lab.drivers.registry import check_options

        opts = {k: v for k, v in table.items() if k not in fixed_keys}
        problems = check_options(driver, role, opts)
        if problems:
            key, msg = problems[0]
            if msg.startswith("unknown"):
                from dmabuf_lab.drivers.registry import driver_options

                msg += f" (and the table's own keys: {', '.join(sorted(fixed_keys))})"
                close = difflib.get_close_matches(key, list(driver_options(driver, role)) + sorted(fixed_keys),
                                                  n=1)
                if close:
                    msg += f"; did you mean {close[0]!r}?"
            raise self.err(msg, role, key)
        if topo is not None:
            from dmabuf_lab.drivers.registry import driver_options

            for key, opt in driver_options(driver, role).items():
                if opt.kind == "bdf" and key in opts:
                    try:
                        topo.device(opts[key])
                    except (LabInputError, KeyError, ValueError):
                        known = ", ".join(sorted(getattr(topo, "devices", {}))) or "none"
                        raise self.err(f"device {opts[key]!r} is not in the topology (known: {known})",
                                       role, key) from None
        return opts

    def ranges(self, value, dev, bar, unchecked: bool) -> tuple:
        sec = "exporter"
        if not isinstance(value, list):
            raise self.err(f"expected a list of [offset, length] pairs, got {value!r}", sec, "ranges")
        out = []
        bar_len = None
        if dev is not None and bar is not None:
            b = getattr(dev, "bars", {}).get(bar)
            bar_len = getattr(b, "size", None) if b is not None else None
        for i, r in enumerate(value):
            if (not isinstance(r, list) or len(r) != 2
                    or not all(isinstance(x, int) and not isinstance(x, bool) for x in r)):
                raise self.err(f"ranges[{i}] must be [offset, length] (two integers), got {r!r}", sec, "ranges")
            off, ln = r
            if off < 0 or ln < 0 or off >= U64 or ln >= U64 or off + ln > U64:
                raise self.err(f"ranges[{i}] = [{off:#x}, {ln:#x}] is outside 0..2**64", sec, "ranges")
            if not unchecked:
                if ln == 0:
                    raise self.err(f"ranges[{i}] has zero length", sec, "ranges")
                if bar_len is not None and off + ln > bar_len:
                    raise self.err(f"ranges[{i}] = [{off:#x}, {ln:#x}] ends at {off + ln:#x}, past the end "
                                   f"of BAR {bar} ({bar_len:#x} bytes)", sec, "ranges")
            out.append((off, ln))
        self.no_overlap(out)
        return tuple(out)

    def no_overlap(self, ranges: list) -> None:
        """Refuse two ranges that share a byte: the lab's range lists hold disjoint ranges, so
        such a scenario could only end in the lab's own error (``unchecked_ranges`` hands
        zero-length and past-the-BAR ranges to the kernel, not overlapping ones)."""
        order = sorted((off, ln, i) for i, (off, ln) in enumerate(ranges) if ln > 0)
        for (a_off, a_len, a), (b_off, b_len, b) in zip(order, order[1:]):
            if b_off < a_off + a_len:
                first, second = sorted((a, b))
                raise self.err(f"ranges[{second}] = [{ranges[second][0]:#x}, {ranges[second][1]:#x}] overlaps "
                               f"ranges[{first}] = [{ranges[first][0]:#x}, {ranges[first][1]:#x}]; expected "
                               "disjoint [offset, length] ranges", "exporter", "ranges")

    def target(self, key: str, section: str, seen: Optional[set] = None) -> str:
        """The canonical ``revision[:variant]`` of ``key`` (an alias such as ``mainline``
        becomes the revision it stands for); a key naming the same target twice is an error."""
        rev, variant = split_target(key)
        if rev not in REVISIONS:
            from dmabuf_lab.revisions import RETIRED, unknown_revision
            if rev in RETIRED:
                raise self.err(unknown_revision(rev), section, key)
            raise self.err(f"unknown revision {rev!r}; known: {list(REVISIONS)} "
                           f"and the aliases {list(ALIASES)}", section, key)
        name = rev if ":" not in key else f"{rev}:{variant}"
        if seen is not None:
            if name in seen:
                raise self.err(f"{key!r} names {name!r}, which this table already lists", section, key)
            seen.add(name)
        try:
            known = get_revision(rev).variants
        except RevisionNotAvailable:
            return name  # checked when it runs: the runner reports the missing module
        if variant not in known:
            raise self.err(f"revision {rev!r} has no variant {variant!r}; known: {list(known)}", section, key)
        return name

    def outcome(self, value, key: str) -> str:
        from dmabuf_lab.kmodel.errno import errname, parse_errno

        if not isinstance(value, str):
            raise self.err(f"expected a mapping kind or an errno string, got {value!r}", "expect", key)
        if value in MAPPING_KINDS or value in SPECIAL_OUTCOMES:
            return value
        if value.startswith("-E"):
            try:
                return errname(parse_errno(value))
            except (ValueError, KeyError, LabInputError):
                raise self.err(f"unknown errno {value!r}", "expect", key) from None
        raise self.err(f"unknown outcome {value!r}; expected one of {list(MAPPING_KINDS)}, an errno "
                       f"like '-EINVAL', or one of {list(SPECIAL_OUTCOMES)}", "expect", key)

    def placement(self, driver: str, role: str, dev, construction: str) -> None:
        """Refuse a driver on a device no real machine binds it to, unless this is a construction."""
        from dmabuf_lab.litmus.placement import placement_problem

        problem = placement_problem(driver, role, dev)
        if problem and not construction:
            raise self.err(problem + "; if the scenario uses this placement on purpose, say why in "
                           "a top-level construction = \"...\" (dmabuf-lab ask: --construction WHY)",
                           role, "device")

    def load(self, require_expect: bool = True) -> Scenario:
        from dmabuf_lab.input_file import BOM, parse_toml

        if self.text.startswith(BOM):
            self.text = self.text[1:]
        data = parse_toml(self.text, self.path, SCENARIO_WHAT, ScenarioError)
        return self.from_data(data, require_expect)

    def from_data(self, data: dict, require_expect: bool = True) -> Scenario:
        """Validate a parsed scenario; ``require_expect=False`` accepts one that checks nothing."""
        from dmabuf_lab.litmus.scenario_schema import check_driver_needs, check_types
        from dmabuf_lab.litmus.step_order import check_steps

        self.unknown_keys(data, TOP_KEYS, None)
        check_types(data, self.err)
        question = self.need_str(data, "question", None)
        raw_topo = data.get("topology")
        if isinstance(raw_topo, dict):
            topo_ref = raw_topo
        else:
            topo_ref = self.need_str(data, "topology", None)
        source = data.get("source", "")
        steps = data.get("steps", list(DEFAULT_STEPS))
        if not isinstance(steps, list) or not steps:
            raise self.err("steps must be a non-empty list", None, "steps")
        for s in steps:
            if s not in STEPS:
                raise self.err(f"unknown step {s!r}; expected one of {list(STEPS)}", None, "steps")
        check_steps(steps, self.err)

        construction = data.get("construction", "")
        if not isinstance(construction, str) or (construction and not construction.strip()):
            raise self.err(f"construction must say why the scenario places a driver where no real "
                           f"machine has it, got {construction!r}", None, "construction")
        topo = self.topology(topo_ref)

        exp = data.get("exporter")
        if not isinstance(exp, dict):
            raise self.err("missing [exporter] table", "exporter", "")
        imp = data.get("importer")
        if not isinstance(imp, dict):
            raise self.err("missing [importer] table", "importer", "")

        edrv = self.need_str(exp, "driver", "exporter")
        self.driver(edrv, "exporter", "exporter")
        idrv = self.need_str(imp, "driver", "importer")
        self.driver(idrv, "importer", "importer")
        check_driver_needs(data, self.err)
        edev_name = self.need_str(exp, "device", "exporter", required=False)
        edev = self.device(topo, edev_name, "exporter")
        bar = exp.get("bar")
        if bar is not None:
            if not isinstance(bar, int) or isinstance(bar, bool) or not 0 <= bar <= 5:
                raise self.err(f"bar must be a BAR index 0..5, got {bar!r}", "exporter", "bar")
            if edev is not None and bar not in getattr(edev, "bars", {}):
                raise self.err(f"device {edev_name} has no BAR {bar} (it has: "
                               f"{sorted(getattr(edev, 'bars', {}))})", "exporter", "bar")
        eopts = self.options(exp, EXPORTER_KEYS, edrv, "exporter", topo)
        unchecked = bool(exp.get("unchecked_ranges", False))
        ranges = self.ranges(exp.get("ranges", []), edev, bar, unchecked)
        self.placement(edrv, "exporter", edev, construction)

        importer = self.importer_spec(imp, "importer", topo, construction)

        expect = {}
        raw_expect = data.get("expect", {})
        if not isinstance(raw_expect, dict):
            raise self.err("[expect] must be a table", "expect", "")
        seen: set = set()
        for key, value in raw_expect.items():
            expect[self.target(key, "expect", seen)] = self.outcome(value, key)

        findings = {}
        raw_find = data.get("findings", {})
        if not isinstance(raw_find, dict):
            raise self.err("[findings] must be a table", "findings", "")
        seen = set()
        for key, value in raw_find.items():
            t = self.target(key, "findings", seen)
            if not isinstance(value, list):
                raise self.err(f"expected a list of finding kinds, got {value!r}", "findings", key)
            for kind in value:
                if kind not in FINDING_KINDS:
                    raise self.err(f"unknown finding {kind!r}; expected one of {list(FINDING_KINDS)}",
                                   "findings", key)
            findings[t] = tuple(sorted(set(value)))
        extra = self.more_importers(data.get("importers"), topo, construction)
        threads, races, bound, thread_imps = self.concurrency(data, steps_given="steps" in data,
                                                              importers={DEFAULT_IMPORTER} | {n for n, _ in extra})
        if require_expect and not expect and not findings and not races:
            raise self.err("the scenario checks nothing: add an [expect] table"
                           + (" or a [races.<revision>] table" if threads else ""), "expect", "")

        if isinstance(topo_ref, dict):
            arg = self.topology_files(topo_ref)
            topo_ref = " + ".join(os.path.relpath(p, self.path.parent) for k in ("lspci", "dmesg")
                                  for p in arg[k])
            topo_ref += "".join(f" + {os.path.relpath(p, self.path.parent)} ({b})"
                                for b, p in arg["resource"].items())
        else:
            arg = self.topology_arg(topo_ref)
        return Scenario(path=self.path, question=question, topology_ref=topo_ref, topology=topo,
                        steps=tuple(steps),
                        exporter=ExporterSpec(edrv, edev_name, bar, ranges, eopts),
                        importer=importer,
                        expect=expect, findings=findings, source=str(source),
                        topology_arg=arg, construction=construction, text=self.text, threads=threads, races=races,
                        max_interleavings=bound, importers=extra, thread_importers=thread_imps)

    def importer_spec(self, imp: dict, section: str, topo, construction: str) -> ImporterSpec:
        """One importer table (``[importer]`` or ``[importers.<name>]``) as an :class:`ImporterSpec`."""
        idrv = self.need_str(imp, "driver", section)
        self.driver(idrv, "importer", section)
        idev_name = self.need_str(imp, "device", section, required=False)
        idev = self.device(topo, idev_name, section)
        dynamic = imp.get("dynamic")
        if dynamic is not None and not isinstance(dynamic, bool):
            raise self.err(f"dynamic must be true or false, got {dynamic!r}", section, "dynamic")
        iopts = self.options(imp, IMPORTER_KEYS, idrv, section, topo)
        self.placement(idrv, "importer", idev, construction)
        return ImporterSpec(idrv, idev_name, dynamic, iopts)

    def more_importers(self, raw, topo, construction: str) -> tuple:
        """``[importers.<name>]``: importers beside ``[importer]``, for concurrent scenarios."""
        if raw is None:
            return ()
        if not isinstance(raw, dict) or not raw:
            raise self.err("[importers] must hold one table per extra importer, e.g. [importers.second]",
                           "importers", "")
        out = []
        for name, table in raw.items():
            if name == DEFAULT_IMPORTER:
                raise self.err(f"{DEFAULT_IMPORTER!r} names the [importer] table; give this one another name",
                               "importers", name)
            if not isinstance(table, dict):
                raise self.err(f"expected a table like [importer], got {table!r}", "importers", name)
            out.append((name, self.importer_spec(table, f"importers.{name}", topo, construction)))
        return tuple(out)

    def concurrency(self, data: dict, steps_given: bool, importers: frozenset = frozenset({DEFAULT_IMPORTER})):
        """``[threads]``, ``[races.<target>]`` and ``max_interleavings`` (see litmus/README.md).

        A thread is a list of steps (its importer steps act on ``[importer]``)
        or a table ``{importer = "<name>", steps = [...]}`` naming the importer."""
        from dmabuf_lab.litmus.races import RACE_PROPERTIES
        from dmabuf_lab.litmus.step_order import check_threads
        from dmabuf_lab.revisions.base import THREAD_STEPS

        raw = data.get("threads")
        threads = ()
        thread_imps: dict = {}
        if data.get("importers") is not None and raw is None:
            raise self.err("[importers] needs a [threads] table: only concurrent scenarios have several importers",
                           "importers", "")
        if raw is not None:
            if steps_given:
                raise self.err("give either steps (one thread) or [threads], not both", None, "steps")
            if not isinstance(raw, dict) or not raw:
                raise self.err("[threads] must map each thread's name to its list of steps", "threads", "")
            out = []
            for name, steps in raw.items():
                if isinstance(steps, dict):
                    self.unknown_keys(steps, THREAD_KEYS, f"threads.{name}")
                    who = steps.get("importer", DEFAULT_IMPORTER)
                    if who not in importers:
                        raise self.err(f"thread {name!r}: no importer {who!r}; expected one of {sorted(importers)}",
                                       f"threads.{name}", "importer")
                    thread_imps[name] = who
                    steps = steps.get("steps")
                if not isinstance(steps, list) or not steps:
                    raise self.err(f"thread {name!r}: expected a non-empty list of steps, got {steps!r}",
                                   "threads", name)
                for st in steps:
                    if st not in THREAD_STEPS:
                        raise self.err(f"thread {name!r}: unknown step {st!r}; expected one of "
                                       f"{list(THREAD_STEPS)}", "threads", name)
                out.append((name, tuple(steps)))
            threads = tuple(out)
            check_threads(threads, self.err, thread_imps)
        races = {}
        raw_races = data.get("races", {})
        if raw_races and not threads:
            raise self.err("[races] needs a [threads] table: only concurrent scenarios have interleavings",
                           "races", "")
        if not isinstance(raw_races, dict):
            raise self.err("[races] must hold one table per revision", "races", "")
        known = set(RACE_PROPERTIES) | set(FINDING_KINDS) | {"crash"}
        for key, table in raw_races.items():
            t = self.target(key, "races")
            if not isinstance(table, dict):
                raise self.err(f"expected a table of property = verdict, got {table!r}", "races", key)
            verdicts = {}
            for prop, v in table.items():
                if prop not in known:
                    raise self.err(f"unknown property {prop!r}; expected one of {sorted(known)}",
                                   f"races.{key}", prop)
                if v not in RACE_VERDICTS:
                    raise self.err(f"{prop}: expected one of {list(RACE_VERDICTS)}, got {v!r}",
                                   f"races.{key}", prop)
                verdicts[prop] = v
            races[t] = verdicts
        if threads and (data.get("expect") or data.get("findings")):
            raise self.err("a concurrent scenario states its verdicts in [races.<revision>], "
                           "not [expect] / [findings]", "expect", "")
        bound = data.get("max_interleavings")
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool) or bound < 1):
            raise self.err(f"max_interleavings must be a positive integer, got {bound!r}", None,
                           "max_interleavings")
        return threads, races, bound, thread_imps


#: A scenario is a few dozen lines; anything bigger is not one.
MAX_SCENARIO_BYTES = 1 << 20
SCENARIO_WHAT = "a TOML litmus scenario file (question, topology, [exporter], [importer], [expect])"


def read_scenario_bytes(path: Path) -> bytes:
    """The bytes of a regular scenario file, never more than MAX_SCENARIO_BYTES.

    A device or FIFO (``/dev/zero``, a pipe) is refused before it is opened,
    so reading never blocks and never grows without bound."""
    from dmabuf_lab.input_file import read_bytes

    return read_bytes(path, MAX_SCENARIO_BYTES, SCENARIO_WHAT, ScenarioError)


def read_scenario_file(path) -> tuple[str, dict]:
    """The text and parsed TOML of a scenario file (regular, capped, UTF-8, BOM dropped), unvalidated."""
    from dmabuf_lab.input_file import read_toml

    return read_toml(path, MAX_SCENARIO_BYTES, SCENARIO_WHAT, ScenarioError)


def precheck_data(data: dict, where: str = "<command line>", text: str = "") -> None:
    """The checks that come before anything reads a scenario's values: no unknown top-level
    key, every value of its type (``scenario_schema``), each driver known in its role.
    ``dmabuf-lab ask`` runs them before it fills in what the question left out."""
    from dmabuf_lab.litmus.scenario_schema import check_types

    loader = _Loader(Path(where), text)
    loader.unknown_keys(data, TOP_KEYS, None)
    check_types(data, loader.err)
    for role in ("exporter", "importer"):
        table = data.get(role)
        if isinstance(table, dict) and "driver" in table:
            loader.driver(table["driver"], role, role)


def absolute_topology_files(table: dict, path, text: str = "") -> dict:
    """A scenario's ``topology = { lspci = ..., ... }`` table with its paths made absolute
    (relative ones are relative to the scenario file ``path``)."""
    return _Loader(Path(path), text).topology_files(table)


def scenario_from_data(data: dict, where: str = "<command line>") -> Scenario:
    """Validate a scenario given as a dict (the ``dmabuf-lab ask`` options); it need not expect anything."""
    return _Loader(Path(where), "").from_data(data, require_expect=False)


def load_scenario(path, require_expect: bool = True) -> Scenario:
    """Load and validate one scenario file (raises :class:`ScenarioError`).

    ``require_expect=False`` (``dmabuf-lab ask``) accepts a scenario without
    ``[expect]`` or ``[findings]``.
    """
    from dmabuf_lab.input_file import decode

    path = Path(path)
    text = decode(read_scenario_bytes(path), path, SCENARIO_WHAT, ScenarioError)
    return load_scenario_text(path, text, require_expect)


def load_scenario_text(path, text: str, require_expect: bool = True) -> Scenario:
    """Load a scenario from its text; ``path`` names it and anchors relative snapshot paths."""
    return _Loader(Path(path), text).load(require_expect)


def default_litmus_dir() -> Path:
    """The repository's ``litmus/`` directory."""
    return Path(__file__).resolve().parents[2] / "litmus"


def find_scenarios(paths=None) -> list[Path]:
    """Expand files and directories into a sorted list of ``*.toml`` scenario files."""
    if not paths:
        paths = [default_litmus_dir()]
    out: list[Path] = []
    for given in paths:
        if not str(given).strip():
            raise ScenarioError("empty path; expected a scenario file or a directory of them", field="PATH")
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("*.toml"))
            if not found:
                raise ScenarioError("no scenario files in this directory; expected *.toml files",
                                    file=str(p))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise ScenarioError("no such file or directory", file=str(p))
    return out
