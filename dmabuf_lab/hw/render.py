"""Plain-text picture of a topology, in the spirit of ``lspci -tv`` with BARs spelled out.

Each function gets a header line (bdf, ids, kind, name, driver, IOMMU group)
and indented detail lines: BARs with base/size/flags, the SR-IOV capability
and IOV windows, VRAM use, a VF's LMEM blocks.  ASCII only, so it pastes into
an email.  A short P2P summary follows the tree.
"""
from __future__ import annotations

from dmabuf_lab.hw.topology import Topology, lmem_quota
from dmabuf_lab.hw.units import human_size
from dmabuf_lab.pci.bridge import acs_text, pci_find_host_bridge
from dmabuf_lab.pci.p2pdma import pci_host_bridge_dev
from dmabuf_lab.pci.p2pdma import PCI_ANY_ID, host_bridge_whitelist_unknown, p2p_verdict, pci_bridge_has_acs_redir
from dmabuf_lab.pci.pci import PCI_IOV_RESOURCES, PciDevice, pci_upstream_bridge

KIND_TEXT = {
    "endpoint": "", "rc_endpoint": "RC endpoint", "root_port": "root port",
    "upstream_port": "switch upstream port", "downstream_port": "switch downstream port",
    "pci_bridge": "PCI bridge", "host_bridge": "host bridge",
}


def _bar_line(bar) -> str:
    label = f" ({bar.name})" if bar.name else ""
    return (f"BAR{bar.index}  {bar.base:#018x}-{bar.end:#018x}  {human_size(bar.size):>8}  "
            f"{bar.flags_text()}{label}")


def _ids(dev: PciDevice) -> str:
    """``vvvv:dddd``, with ``????`` for an id the source does not show."""
    ven = "????" if "vendor" in dev.unknown else f"{dev.vendor:04x}"
    did = "????" if "device" in dev.unknown else f"{dev.device:04x}"
    return f"{ven}:{did}"


def _header(topo: Topology, dev: PciDevice) -> str:
    ids = f"[{_ids(dev)}]"
    parts = [dev.bdf, ids]
    if dev.is_virtfn:
        parts.append(f"VF{dev.vf_index} of {dev.physfn.bdf}")
    kind = KIND_TEXT.get(dev.pcie_type, dev.pcie_type)
    if kind and not dev.is_virtfn:
        parts.append(kind)
    if dev.is_bridge and dev.secondary is not None:
        sub = dev.subordinate if dev.subordinate is not None else dev.secondary
        parts.append(f"[bus {dev.secondary:02x}]" if sub == dev.secondary
                     else f"[bus {dev.secondary:02x}-{sub:02x}]")
    if dev.name and not dev.is_virtfn:
        parts.append(dev.name)
    if dev.driver:
        parts.append(f"<{dev.driver}>")
    if dev.iommu_group is not None:
        dom = topo.iommu_domain(dev)
        parts.append(f"iommu group {dev.iommu_group}" + (f": {dom.type}" if dom is not None else ""))
    return "  ".join(parts)


def _details(topo: Topology, dev: PciDevice) -> list[str]:
    out = []
    if "acs" in dev.unknown and dev.is_bridge:
        out.append(f"ACSCtl: unknown ({dev.unknown['acs']})")
    elif dev.acs_cap:
        out.append(f"ACSCtl: {acs_text(dev.acs_ctrl)}")
    for _, bar in sorted(dev.bars.items()):
        out.append(_bar_line(bar))
    for fact, why in dev.unknown.items():
        if fact.startswith("BAR"):
            out.append(f"{fact}  size unknown ({why})")
    if dev.is_physfn:
        iov = dev.sriov
        out.append(f"SR-IOV: {iov.num_vfs}/{iov.total_vfs} VFs enabled (initial {iov.initial_vfs}), "
                   f"VF offset {iov.vf_offset}, stride {iov.vf_stride}, VF device {_ids(dev).split(':')[0]}:"
                   f"{'????' if 'vf_device' in dev.unknown else format(iov.vf_device, '04x')}")
        for n, vb in sorted(iov.vf_bars.items()):
            win = vb.window_len(iov.total_vfs)
            out.append(f"  IOV BAR{n} (resource {PCI_IOV_RESOURCES + n})  {vb.base:#018x}  "
                       f"{human_size(vb.size_per_vf)} per VF x {iov.total_vfs} = {human_size(win)}  "
                       f"{'64-bit' if vb.is64 else '32-bit'}, "
                       f"{'prefetchable' if vb.prefetchable else 'non-prefetchable'}")
    if dev.vram is not None:
        v = dev.vram
        out.append(f"VRAM: {human_size(v.size)} at DPA {v.base:#x}, {human_size(v.used)} in use by "
                   f"{len(v.objects)} objects, {human_size(v.avail)} free, {human_size(v.chunk)} blocks")
    if dev.is_virtfn:
        q = lmem_quota(dev)
        if dev.lmem is not None:
            blocks = ", ".join(f"{dpa:#x}+{human_size(n)}" for dpa, n in dev.lmem.blocks)
            out.append(f"LMEM quota {human_size(dev.lmem.size)} in {len(dev.lmem.blocks)} blocks "
                       f"(DPA+size, object order): {blocks}")
        elif q:
            out.append(f"LMEM quota {human_size(q)} (blocks unknown)")
    return out


def _children(topo: Topology, node) -> list[PciDevice]:
    if isinstance(node, PciDevice):
        kids = sorted(node.children, key=lambda d: (d.bus, d.devfn))
    else:
        kids = sorted(node.devices, key=lambda d: (d.bus, d.devfn))
    out = []
    for k in kids:
        out.append(k)
        if k.is_physfn:
            out.extend(topo.vfs(k))
    return out


def _p2p_ends(topo: Topology) -> list[PciDevice]:
    """The functions the P2P section pairs up: endpoints (not VFs) that have BARs."""
    return [d for d in topo.devices.values()
            if not d.is_bridge and not d.is_virtfn and d.pcie_type != "host_bridge" and d.bars]


def _sriov_pairs(topo: Topology, ends: list[PciDevice]) -> list[tuple[PciDevice, PciDevice]]:
    """Per PF with VFs: VF0 -> PF and VF1 -> VF0."""
    pairs = []
    for pf in ends:
        vfs = topo.vfs(pf) if pf.is_physfn else []
        if vfs:
            pairs.append((vfs[0], pf))
            if len(vfs) > 1:
                pairs.append((vfs[1], vfs[0]))
    return pairs


def _p2p_pairs(topo: Topology) -> list[tuple[PciDevice, PciDevice]]:
    """Every pair of P2P ends, then the SR-IOV pairs of each PF (quadratic: on request only)."""
    ends = _p2p_ends(topo)
    pairs = [(a, b) for i, a in enumerate(ends) for b in ends[i + 1:]]
    return pairs + _sriov_pairs(topo, ends)


#: Up to this many pairs the P2P section lists each one; above it, a summary.
P2P_LIST_LIMIT = 64


def _chain(dev: PciDevice) -> list[PciDevice]:
    out = []
    while dev is not None:
        out.append(dev)
        dev = pci_upstream_bridge(dev)
    return out


def _top_label(dev: PciDevice) -> str:
    kind = KIND_TEXT.get(dev.pcie_type, dev.pcie_type) or "function"
    return f"{kind} {dev.bdf}"


class _Tally:
    """Pairs counted per verdict text (map type and distance, or what it depends on), with an example."""

    def __init__(self):
        self.counts: dict[str, list] = {}

    def add(self, verdict: str, count: int, example) -> None:
        if count <= 0:
            return
        slot = self.counts.setdefault(verdict, [0, example])
        slot[0] += count

    @property
    def total(self) -> int:
        return sum(c for c, _ in self.counts.values())

    def lines(self, indent: str) -> list[str]:
        out = []
        for text, (count, (a, b)) in sorted(self.counts.items()):
            out.append(f"{indent}{text}: {count} pair{'s' * (count != 1)}, "
                       f"e.g. {a.bdf} -> {b.bdf}")
        return out


#: Up to this many (host bridge, depth) buckets the pairs across root ports are
#: counted for every bucket pair; above it, per host bridge and per class of
#: host bridges, so the work stays linear in the number of host bridges.
ACROSS_BUCKET_LIMIT = 64


def _pairs_between(x: dict, y: dict, same: bool) -> int:
    """Pairs of ends from count maps ``x`` and ``y`` (group -> count) in different groups."""
    tx, ty = sum(x.values()), sum(y.values())
    shared = sum(c * y.get(g, 0) for g, c in x.items())
    return (tx * tx - shared) // 2 if same else tx * ty - shared


def _example_pair(ex_x: dict, ex_y: dict):
    """One end from ``ex_x`` and one from ``ex_y`` (group -> end) in different groups, or None."""
    return next(((a, b) for ga, a in ex_x.items() for gb, b in ex_y.items() if ga != gb), None)


def _across_by_bucket(buckets: dict, across: _Tally, verdict) -> None:
    """Every pair of (host bridge, depth) buckets, less the pairs that share a top."""
    keys = list(buckets)
    for i, kx in enumerate(keys):
        for ky in keys[i:]:
            bx, by = buckets[kx], buckets[ky]
            count = _pairs_between(bx["per_top"], by["per_top"], kx == ky)
            if count <= 0:
                continue
            pair = _example_pair(bx["examples"], by["examples"])
            if pair is None:   # the only examples share a top: find one in another top
                continue
            across.add(verdict(pair[0], pair[1], ("across", kx, ky)), count, pair)


def _whitelist_class(topo: Topology, host) -> str:
    """What the whitelist says of ``host`` for traffic to another host bridge: yes, no or unknown."""
    from dmabuf_lab.pci import p2pdma
    if host_bridge_whitelist_unknown(host, topo.p2pdma_whitelist) is not None:
        return "unknown"
    listed = getattr(p2pdma, "__host_bridge_whitelist")(host, False, topo.p2pdma_whitelist, None, None)
    return "yes" if listed else "no"


def _across_by_class(topo: Topology, buckets: dict, across: _Tally, verdict) -> None:
    """Pairs across tops counted without visiting every pair of host bridges.

    Under one host bridge a pair's verdict depends on that bridge and the two
    depths: counted per host bridge and depth pair, less the pairs sharing a
    top.  Between two host bridges it depends on what the whitelist says of
    each (yes, no, unknown) and on the two depths: counted per class and depth
    pair, less the pairs under one host bridge.  The example pair's verdict
    speaks for its class.
    """
    per_host: dict[int, dict[int, dict]] = {}
    for (host_id, dep), b in buckets.items():
        per_host.setdefault(host_id, {})[dep] = b
    # under one host bridge, across its tops
    for host_id, by_depth in per_host.items():
        deps = sorted(by_depth)
        for i, dx in enumerate(deps):
            for dy in deps[i:]:
                bx, by = by_depth[dx], by_depth[dy]
                count = _pairs_between(bx["per_top"], by["per_top"], dx == dy)
                pair = _example_pair(bx["examples"], by["examples"]) if count > 0 else None
                if pair is not None:
                    across.add(verdict(pair[0], pair[1], ("across", (host_id, dx), (host_id, dy))), count, pair)
    # between host bridges: class buckets with per host counts
    classes: dict[tuple, dict] = {}
    for host_id, by_depth in per_host.items():
        some_end = next(iter(next(iter(by_depth.values()))["examples"].values()))
        cls = _whitelist_class(topo, pci_find_host_bridge(some_end))
        for dep, b in by_depth.items():
            c = classes.setdefault((cls, dep), {"per_host": {}, "examples": {}})
            c["per_host"][host_id] = sum(b["per_top"].values())
            if len(c["examples"]) < 2:
                c["examples"][host_id] = next(iter(b["examples"].values()))
    keys = sorted(classes)
    for i, kx in enumerate(keys):
        for ky in keys[i:]:
            cx, cy = classes[kx], classes[ky]
            count = _pairs_between(cx["per_host"], cy["per_host"], kx == ky)
            pair = _example_pair(cx["examples"], cy["examples"]) if count > 0 else None
            if pair is not None:
                across.add(verdict(pair[0], pair[1], ("between", kx, ky)), count, pair)



def p2p_summary(topo: Topology) -> list[str]:
    """The P2P section grouped per root port (or switch) and across them, counting every pair.

    ``calc_map_type_and_dist()`` depends only on the two upstream chains and
    on whether each end redirects through ACS itself, so ends with the same
    parent and the same ACS redirect share every verdict: one representative
    pair per class pair gives the verdict for all pairs of those classes.
    Ends below different root-bus functions share no bridge; their pairs go
    through the host bridge(s), and their verdict depends only on the two
    host bridges and the two depths, so they are counted per (host bridge,
    depth) bucket.  The work grows with the number of classes under each
    root port and of buckets, not with the square of the number of ends.
    """
    ends = _p2p_ends(topo)
    npairs = len(ends) * (len(ends) - 1) // 2
    cache: dict[tuple, str] = {}

    def verdict(a: PciDevice, b: PciDevice, key) -> str:
        if key not in cache:
            cache[key] = p2p_verdict(a, b).text()
        return cache[key]

    # ends per top (root-bus function above them), each top split into classes
    tops: dict[int, tuple[PciDevice, dict]] = {}
    depth: dict[int, int] = {}
    for d in ends:
        chain = _chain(d)
        top = chain[-1]
        depth[id(d)] = len(chain)
        cls = (id(chain[1]) if len(chain) > 1 else ("hb", id(pci_find_host_bridge(d))),
               pci_bridge_has_acs_redir(d))
        tops.setdefault(id(top), (top, {}))[1].setdefault(cls, []).append(d)

    lines = [f"P2P (provider -> client: map type, distance): {npairs} pairs of {len(ends)} endpoints, "
             "counted per root port and across them; `--p2p all` lists every pair"]
    for top, classes in tops.values():
        tally = _Tally()
        groups = list(classes.items())
        for i, (ka, ma) in enumerate(groups):
            if len(ma) > 1:
                tally.add(verdict(ma[0], ma[1], (ka, ka)), len(ma) * (len(ma) - 1) // 2, (ma[0], ma[1]))
            for kb, mb in groups[i + 1:]:
                tally.add(verdict(ma[0], mb[0], (ka, kb)), len(ma) * len(mb), (ma[0], mb[0]))
        if tally.total:
            n = sum(len(m) for m in classes.values())
            lines.append(f"  below {_top_label(top)} ({n} endpoints, {tally.total} pairs):")
            lines.extend(tally.lines("    "))

    # across tops: bucket (host bridge, depth) -> per top counts and two examples from different tops
    buckets: dict[tuple, dict] = {}
    for top, classes in tops.values():
        for members in classes.values():
            for d in members:
                key = (id(pci_find_host_bridge(d)), depth[id(d)])
                b = buckets.setdefault(key, {"per_top": {}, "examples": {}})
                b["per_top"][id(top)] = b["per_top"].get(id(top), 0) + 1
                if len(b["examples"]) < 2 and id(top) not in b["examples"]:
                    b["examples"][id(top)] = d
    across = _Tally()
    if len(buckets) <= ACROSS_BUCKET_LIMIT:
        _across_by_bucket(buckets, across, verdict)
    else:
        lines[0] += "; across host bridges, pairs alike in what the whitelist says are counted together"
        _across_by_class(topo, buckets, across, verdict)
    if across.total:
        lines.append(f"  between different root ports / host bridges ({across.total} pairs):")
        lines.extend(across.lines("    "))
    sriov = _Tally()
    for a, b in _sriov_pairs(topo, ends):
        sriov.add(p2p_verdict(a, b).text(), 1, (a, b))
    if sriov.total:
        lines.append(f"  SR-IOV, VF0 -> PF and VF1 -> VF0 of each PF ({sriov.total} pairs):")
        lines.extend(sriov.lines("    "))
    return lines


def render_tree(topo: Topology, p2p: str = "auto") -> str:
    """The whole topology as text: header, RAM, each host bridge's tree, then P2P verdicts.

    ``p2p``: "all" lists every pair, "summary" counts them per root port and
    across (see :func:`p2p_summary`), "auto" lists up to ``P2P_LIST_LIMIT``
    pairs and summarises above that.
    """
    if p2p not in ("auto", "all", "summary"):
        raise ValueError(f"p2p must be auto, all or summary, not {p2p!r}")
    lines = [f"{topo.name}: {topo.description}" if topo.description else topo.name or "(topology)"]
    if topo.ram is not None:
        ranges = ", ".join(f"{s:#x}-{s + n - 1:#x}" for s, n in topo.ram.ranges)
        lines.append(f"System RAM: {human_size(topo.ram.total)} in {len(topo.ram.ranges)} ranges: {ranges}")
    for note in topo.notes:
        lines.append(f"note: {note}")
    for hb in topo.host_bridges:
        root = pci_host_bridge_dev(hb)
        wl = ""
        unknown = host_bridge_whitelist_unknown(hb, topo.p2pdma_whitelist)
        if unknown is not None:
            wl = f", P2P whitelist: unknown ({unknown})"
        elif root is not None:
            listed = any(e.vendor == root.vendor and e.device in (root.device, PCI_ANY_ID)
                         for e in topo.p2pdma_whitelist)
            wl = (f", P2P whitelist: {'yes' if listed else 'no'} ({_ids(root)})")
        if topo.cpu_supports_p2pdma:
            wl += ", CPU forwards P2P"
        elif topo.cpu_supports_p2pdma is None:
            wl += ", CPU forwards P2P: unknown"
        lines.append(f"[{hb.label}] host bridge {hb.name!r}, bus address offset {hb.mem_offset:#x}{wl}")

        def rec(node, prefix):
            kids = _children(topo, node)
            for i, k in enumerate(kids):
                last = i == len(kids) - 1
                lines.append(prefix + ("\\-- " if last else "+-- ") + _header(topo, k))
                cont = prefix + ("    " if last else "|   ")
                has_kids = bool(k.children)       # what _children(k) would list
                for d in _details(topo, k):
                    lines.append(cont + ("|     " if has_kids else "      ") + d)
                rec(k, cont)
        rec(hb, "")
    in_group: dict[int, list[str]] = {}
    for d in topo.devices.values():
        if d.iommu_group is not None:
            in_group.setdefault(d.iommu_group, []).append(d.bdf)
    for dom_group, dom in sorted(topo.iommu_domains.items()):
        members = ", ".join(in_group.get(dom_group, ())) or "-"
        lines.append(f"IOMMU group {dom_group}: {dom.type} domain {dom.name!r}, pgsize_bitmap "
                     f"{dom.pgsize_bitmap:#x}, {len(dom.mappings)} mappings; devices {members}")
    for g in topo.guests:
        lines.append(f"KVM guest {g.name}: RAM {human_size(g.ram_size)}, "
                     f"assigned {', '.join(d.bdf for d in g.assigned) or '-'}")
        for s in g.memslots:
            what = "RAM" if s.kind == "ram" else f"{s.device} BAR{s.bar}"
            lines.append(f"  GPA {s.gpa:#014x}-{s.gpa + s.size - 1:#014x} -> HPA {s.hpa:#x}  "
                         f"{human_size(s.size)}  {what}")
    ends = _p2p_ends(topo)
    listed = len(ends) * (len(ends) - 1) // 2 + len(_sriov_pairs(topo, ends))
    if p2p == "all" or (p2p == "auto" and listed <= P2P_LIST_LIMIT):
        pairs = _p2p_pairs(topo)
        if pairs:
            lines.append("P2P (provider -> client: map type, distance):")
            for a, b in pairs:
                lines.append(f"  {a.bdf} -> {b.bdf}: {p2p_verdict(a, b).text()}")
    elif listed:
        lines.extend(p2p_summary(topo))
    return "\n".join(lines) + "\n"
