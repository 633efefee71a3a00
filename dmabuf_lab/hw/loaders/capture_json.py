"""JSON for a captured machine: hw's device records, with the capture's gaps left visible.

``hw.json_export.topology_to_json`` describes what the hw model holds.  For a
loaded topology this adds back what the model cannot hold: BARs and IOV BARs
whose size the capture does not show (``size``/``size_per_vf`` null), ids the
capture does not print (null), and each device's ``missing`` list.  VFs the
loader made from the SR-IOV layout carry ``"captured": false``.
"""
from __future__ import annotations


def _bar_record(bar) -> dict:
    return {"index": bar.index, "base": bar.base, "size": bar.size,
            "prefetchable": bool(bar.prefetchable), "is64": bool(bar.is64), "virtual": bar.virtual}


def capture_topology_to_json(topo) -> list[dict]:
    """Device records of ``topo`` (tree order); for a loaded topology, with nulls for unknowns."""
    from dmabuf_lab.hw.json_export import topology_to_json
    records = topology_to_json(topo)
    capture = getattr(topo, "capture", None)
    if capture is None:
        return records
    for rec in records:
        cdev = capture.devices.get(rec["bdf"])
        if cdev is None:
            rec["captured"] = False
            continue
        rec["captured"] = True
        if cdev.vendor is None:
            rec["vendor"] = None
        if cdev.device is None:
            rec["device"] = None
        if cdev.class_code is None:
            rec["class"] = None
        have = {b["index"] for b in rec["bars"]}
        extra = [_bar_record(b) for i, b in sorted(cdev.bars.items())
                 if b.kind == "mem" and i not in have and b.base is not None]
        if extra:
            rec["bars"] = sorted(rec["bars"] + extra, key=lambda b: b["index"])
        if cdev.sriov is not None and "sriov" in rec:
            s = cdev.sriov
            if s.vf_device is None:
                rec["sriov"]["vf_device"] = None
            have = {vb["index"] for vb in rec["sriov"]["vf_bars"]}
            extra = [{"index": vb.index, "base": vb.base, "size_per_vf": vb.size_per_vf,
                      "prefetchable": vb.prefetchable, "is64": vb.is64}
                     for i, vb in sorted(s.vf_bars.items()) if i not in have]
            if extra:
                rec["sriov"]["vf_bars"] = sorted(rec["sriov"]["vf_bars"] + extra, key=lambda b: b["index"])
        rec["missing"] = list(cdev.missing)
    return records


def capture_report(topo) -> dict:
    """``{"source", "format", "devices", "missing"}`` for a loaded topology."""
    capture = getattr(topo, "capture", None)
    return {
        "source": capture.source if capture is not None else None,
        "format": capture.format if capture is not None else "preset",
        "devices": capture_topology_to_json(topo),
        "missing": list(getattr(topo, "missing", [])),
    }
