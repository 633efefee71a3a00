"""Two synthetic ``lspci -vvv`` shapes that stress the capture path differently.

    python benchmarks/capture_shapes.py flat 30000 > /tmp/flat.txt
    python benchmarks/capture_shapes.py deep 30000 > /tmp/deep.txt

``flat``: eight-function NICs, one per bus, buses 01..ff of each PCI domain,
and no bridge lines at all (what a VM or a filtered lspci prints), so every
function hangs from its domain's host bridge.

``deep``: every NIC sits at the bottom of a chain of switches (root port,
then ``depth`` upstream/downstream port pairs), so the upstream paths that
P2P distance compares are long.  Each function has an IOMMU group of its own.
"""
from __future__ import annotations

import sys

FUNCS_PER_NIC = 8
NIC_BAR = 4 << 20


def _host(dom: str, group: int) -> list[str]:
    return [f"{dom}:00:00.0 Host bridge [0600]: Intel Corporation Sky Lake-E DMI3 Registers [8086:2020]",
            f"\tIOMMU group: {group}", ""]


def _nic(dom: str, bus: int, group: int, mmio: int) -> tuple[list[str], int, int]:
    out = []
    for fn in range(FUNCS_PER_NIC):
        out += [f"{dom}:{bus:02x}:00.{fn} Ethernet controller [0200]: Intel Corporation "
                "Ethernet Controller X710 [8086:1572]",
                f"\tIOMMU group: {group}",
                f"\tRegion 0: Memory at {mmio:x} (64-bit, prefetchable) [size=4M]",
                "\tCapabilities: [a0] Express (v2) Endpoint, MSI 00",
                "\tKernel driver in use: i40e", ""]
        group += 1
        mmio += NIC_BAR
    return out, group, mmio


def _bridge(bdf: str, kind: str, pri: int, sec: int, sub: int, group: int) -> list[str]:
    return [f"{bdf} PCI bridge [0604]: Broadcom PEX 890xx Switch [1000:c030]",
            f"\tIOMMU group: {group}",
            f"\tBus: primary={pri:02x}, secondary={sec:02x}, subordinate={sub:02x}, sec-latency=0",
            f"\tCapabilities: [60] Express (v2) {kind}, MSI 00",
            "\tKernel driver in use: pcieport", ""]


def flat(functions: int) -> str:
    """NICs on buses 01..ff of as many domains as needed, no bridges."""
    nics = max(1, functions // FUNCS_PER_NIC)
    lines: list[str] = []
    group, mmio, nic, dom_no = 0, 0x100_0000_0000, 0, 0
    while nic < nics:
        dom = f"{dom_no:04x}"
        lines += _host(dom, group)
        group += 1
        for bus in range(1, 256):
            if nic >= nics:
                break
            more, group, mmio = _nic(dom, bus, group, mmio)
            lines += more
            nic += 1
        dom_no += 1
    return "\n".join(lines)


def deep(functions: int, depth: int = 4) -> str:
    """NICs under chains of ``depth`` switches below a root port each (bridges count as functions)."""
    per_chain = 1 + 2 * depth           # buses (and bridge functions) a chain uses: root port + two per switch
    nics = max(1, functions // (FUNCS_PER_NIC + per_chain))
    lines: list[str] = []
    group, mmio, nic, dom_no = 0, 0x100_0000_0000, 0, 0
    while nic < nics:
        dom = f"{dom_no:04x}"
        lines += _host(dom, group)
        group += 1
        bus, rp = 1, 1
        while nic < nics and bus + per_chain <= 0x100 and rp < 32 * 8:
            last = bus + per_chain - 1
            lines += _bridge(f"{dom}:00:{rp >> 3:02x}.{rp & 7}", "Root Port (Slot+)", 0, bus, last, group)
            group += 1
            pri = bus
            for d in range(depth):
                up, down = pri, pri + 1
                lines += _bridge(f"{dom}:{up:02x}:00.0", "Upstream Port", up, down, last,
                                 group)
                lines += _bridge(f"{dom}:{down:02x}:00.0", "Downstream Port (Slot+)", down, down + 1, last,
                                 group + 1)
                group += 2
                pri = down + 1
            more, group, mmio = _nic(dom, last, group, mmio)
            lines += more
            nic += 1
            bus, rp = last + 1, rp + 1
        dom_no += 1
    return "\n".join(lines)


SHAPES = {"flat": flat, "deep": deep}


def count_functions(text: str) -> int:
    """Device headers in generated text (one per function)."""
    return sum(1 for ln in text.splitlines() if ln[:1].isalnum())


if __name__ == "__main__":
    shape = sys.argv[1] if len(sys.argv) > 1 else "flat"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    sys.stdout.write(SHAPES[shape](n))
