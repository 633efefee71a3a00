"""The part of a large machine one run can reach, copied cheaply for that run.

A litmus or ``ask`` run binds drivers to two functions and walks from them:
up the bridges (P2P distance, ACS), to the host bridge and the function the
P2P whitelist reads (the first on its root bus), to a PF and its VFs, and to
the functions sharing an IOMMU group.  On a 30,000-function capture the rest
of the machine is never touched, yet rebuilding or deep-copying all of it for
every revision costs seconds each.  ``reach_copy()`` copies only the
functions reachable that way, from a topology built once and never handed
out, so each run still owns every object it may change.  Machine-wide facts
(whitelist, whether the CPU forwards P2P, notes) are copied as they are.
"""
from __future__ import annotations

import copy

from dmabuf_lab.hw.topology import Topology
from dmabuf_lab.pci.pci import PciDevice

#: Machines up to this many functions are copied whole (deep copy): small captures and presets.
WHOLE_UP_TO = 2000

_SHARED_ATTRS = ("parent", "children", "physfn", "host_bridge", "topology", "bars", "unknown", "sriov")
_ATOMIC = (int, float, str, bool, bytes, type(None), tuple, frozenset)


def group_members(topo: Topology) -> dict[int, list[PciDevice]]:
    """IOMMU group -> its functions, in one pass."""
    groups: dict[int, list[PciDevice]] = {}
    for d in topo.devices.values():
        if d.iommu_group is not None:
            groups.setdefault(d.iommu_group, []).append(d)
    return groups


def reachable(topo: Topology, ends, groups: dict | None = None) -> list[PciDevice]:
    """Functions a run on ``ends`` (PciDevices) can reach, in the topology's order.

    ``groups`` is ``group_members(topo)`` when the caller already has it."""
    keep: dict[int, PciDevice] = {}
    if groups is None:
        groups = group_members(topo)
    todo = list(ends)
    while todo:
        d = todo.pop()
        if d is None or id(d) in keep:
            continue
        keep[id(d)] = d
        todo.extend(x for x in (d.parent, d.physfn) if x is not None)
        if d.host_bridge is not None:
            todo.extend(d.host_bridge.devices[:1])
        if d.is_physfn:
            todo.extend(topo.vfs(d))
        if d.iommu_group is not None:
            todo.extend(groups.get(d.iommu_group, ()))
    return [d for d in topo.devices.values() if id(d) in keep]


def reach_copy(topo: Topology, end_bdfs, groups: dict | None = None) -> Topology:
    """A topology of its own for one run on the functions ``end_bdfs`` (unknown ones ignored).

    Machines of at most ``WHOLE_UP_TO`` functions, or with KVM guests, are deep-copied whole."""
    if len(topo.devices) <= WHOLE_UP_TO or topo.guests:
        return copy.deepcopy(topo)
    ends = [topo.devices.get((b if len(b) > 7 else f"0000:{b}").lower()) for b in end_bdfs if b]
    keep = reachable(topo, [e for e in ends if e is not None], groups)
    new = Topology.__new__(Topology)
    new.__dict__ = dict(topo.__dict__)
    new.unknowns_consulted = []
    new.notes = list(topo.notes)
    new.missing = list(getattr(topo, "missing", []))
    new._duplicates = list(topo._duplicates)
    new._vf_index = None
    memo: dict[int, object] = {id(topo): new}
    for d in keep:
        c = PciDevice.__new__(type(d))
        c.__dict__ = dict(d.__dict__)
        memo[id(d)] = c
    kept_ids = {id(d) for d in keep}
    hosts = []
    for hb in topo.host_bridges:
        members = [d for d in hb.devices if id(d) in kept_ids]
        if not members:
            continue
        h = copy.copy(hb)
        h.devices = [memo[id(d)] for d in members]
        memo[id(hb)] = h
        hosts.append(h)
    new.host_bridges = hosts
    new.devices = {}
    for d in keep:
        c = memo[id(d)]
        c.topology = new
        c.parent = memo[id(d.parent)] if d.parent is not None else None
        c.physfn = memo[id(d.physfn)] if d.physfn is not None else None
        c.host_bridge = memo.get(id(d.host_bridge)) if d.host_bridge is not None else None
        c.children = [memo[id(k)] for k in d.children if id(k) in kept_ids]
        c.bars = {i: copy.copy(b) for i, b in d.bars.items()}
        c.unknown = dict(d.unknown)
        c.sriov = copy.deepcopy(d.sriov, memo) if d.sriov is not None else None
        for key, value in d.__dict__.items():
            if key not in _SHARED_ATTRS and not isinstance(value, _ATOMIC):
                c.__dict__[key] = copy.deepcopy(value, memo)
        new.devices[c.bdf] = c
    kept_groups = {d.iommu_group for d in keep}
    new.iommu_domains = {g: copy.deepcopy(dom, memo) for g, dom in topo.iommu_domains.items()
                         if g in kept_groups}
    return new


_BUILT: dict[tuple, tuple] = {}   # one large captured machine (and its IOMMU groups), built once, never handed out


def run_topology(arg, end_bdfs) -> Topology:
    """A topology of its own for one run: a preset or small capture loaded afresh, a large
    capture file built once per process and ``reach_copy()``-ed for each run."""
    from dmabuf_lab.hw.presets import PRESETS, load_topology

    if isinstance(arg, str) and arg in PRESETS:
        return load_topology(arg)
    try:
        from dmabuf_lab.hw.loaders import parsed
    except ModuleNotFoundError:            # a tree without capture loaders: load_topology says so
        return load_topology(arg)
    paths = parsed.paths_of(*(arg.get(k) for k in ("lspci", "dmesg", "resource"))) \
        if isinstance(arg, dict) else parsed.paths_of(arg)
    ident = parsed.file_identity(paths) if paths else None
    if ident is None:
        return load_topology(arg)
    key = (repr(sorted(arg)) if isinstance(arg, dict) else "path",) + ident
    built = _BUILT.get(key)
    if built is None:
        topo = load_topology(arg)
        if len(topo.devices) <= WHOLE_UP_TO:
            return topo
        _BUILT.clear()
        _BUILT[key] = built = (topo, group_members(topo))
    return reach_copy(built[0], end_bdfs, built[1])
