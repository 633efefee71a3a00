"""Generate a large, valid ``lspci -vvv`` capture of an SR-IOV host.

    python benchmarks/big_capture.py 30000 > /tmp/big.txt

The machine: PCI segments of up to 16 switches each; every switch hangs from
its own root port on bus 00 and fans out to ``ports`` downstream ports, each
holding one ConnectX-7-like NIC (PF at ``bb:00.0``) with its VFs enabled at
VF offset 8, stride 1 on the PF's own bus (ARI routing ids 8..255).  Every
function is in an IOMMU group of its own.  The total number of functions
printed is ``functions`` rounded to whole NICs.
"""
from __future__ import annotations

import sys

VF_OFFSET, VF_STRIDE = 8, 1
MAX_VFS = 248                       # routing ids 8..255 on the PF's bus
NIC_BAR = 32 << 20                  # PF BAR0
VF_BAR = 1 << 20                    # per-VF BAR0
SWITCHES_PER_SEGMENT = 16


def _size(n: int) -> str:
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


def _bridge(bdf: str, name: str, kind: str, pri: int, sec: int, sub: int, group: int,
            acs: bool, redirect: bool = False) -> list[str]:
    out = [f"{bdf} PCI bridge [0604]: {name}",
           "\tControl: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- "
           "FastB2B- DisINTx-",
           f"\tIOMMU group: {group}",
           f"\tBus: primary={pri:02x}, secondary={sec:02x}, subordinate={sub:02x}, sec-latency=0",
           f"\tCapabilities: [60] Express (v2) {kind}, MSI 00"]
    if acs:
        out += ["\tCapabilities: [230 v1] Access Control Services",
                "\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans+",
                f"\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir{'+' if redirect else '-'} "
                f"CmpltRedir{'+' if redirect else '-'} UpstreamFwd- EgressCtrl- DirectTrans-"]
    out += ["\tKernel driver in use: pcieport", ""]
    return out


def generate(functions: int, *, vfs_per_nic: int = MAX_VFS, ports: int = 4, redirect_every: int = 0,
             switches_per_segment: int = SWITCHES_PER_SEGMENT) -> str:
    """lspci -vvv text of a host with about ``functions`` PCI functions.

    ``redirect_every``: every n-th downstream port redirects P2P upstream (ACS
    ReqRedir+ CmpltRedir+); 0 for none.  Odd segments have a host bridge that
    is not on the kernel's P2P whitelist.
    """
    per_nic = 1 + vfs_per_nic
    nics = max(1, round(functions / per_nic))
    lines: list[str] = []
    group = 0
    mmio = 0x100_0000_0000
    nic = 0
    segment = 0
    while nic < nics:
        dom = f"{segment:04x}"
        host = ("Sky Lake-E DMI3 Registers [8086:2020]" if segment % 2 == 0
                else "Device 0998 [8086:0998]")
        lines += [f"{dom}:00:00.0 Host bridge [0600]: Intel Corporation {host}",
                  f"\tIOMMU group: {group}", ""]
        group += 1
        bus = 1
        for sw in range(switches_per_segment):
            if nic >= nics:
                break
            here = min(ports, nics - nic)
            up_bus, int_bus = bus, bus + 1
            last = int_bus + here
            lines += _bridge(f"{dom}:00:{sw + 1:02x}.0", "Intel Corporation Root Port [8086:2030]",
                             "Root Port (Slot+)", 0, up_bus, last, group, True)
            group += 1
            lines += _bridge(f"{dom}:{up_bus:02x}:00.0", "Broadcom PEX 890xx Switch [1000:c030]",
                             "Upstream Port", up_bus, int_bus, last, group, False)
            group += 1
            for p in range(here):
                nic_bus = int_bus + 1 + p
                redirect = bool(redirect_every) and nic % redirect_every == redirect_every - 1
                lines += _bridge(f"{dom}:{int_bus:02x}:{p:02x}.0", "Broadcom PEX 890xx Switch [1000:c030]",
                                 "Downstream Port (Slot+)", int_bus, nic_bus, nic_bus, group, True, redirect)
                group += 1
                bar0, iov = mmio, mmio + NIC_BAR
                mmio += NIC_BAR + max(VF_BAR * MAX_VFS, NIC_BAR)
                mmio = (mmio + NIC_BAR - 1) // NIC_BAR * NIC_BAR
                lines += [
                    f"{dom}:{nic_bus:02x}:00.0 Ethernet controller [0200]: Mellanox Technologies "
                    "MT2910 Family [ConnectX-7] [15b3:1021]",
                    f"\tIOMMU group: {group}",
                    f"\tRegion 0: Memory at {bar0:x} (64-bit, prefetchable) [size={_size(NIC_BAR)}]",
                    "\tCapabilities: [60] Express (v2) Endpoint, MSI 00",
                    "\tCapabilities: [180 v1] Single Root I/O Virtualization (SR-IOV)",
                    f"\t\tInitial VFs: {MAX_VFS}, Total VFs: {MAX_VFS}, Number of VFs: {vfs_per_nic}, "
                    "Function Dependency Link: 00",
                    f"\t\tVF offset: {VF_OFFSET}, stride: {VF_STRIDE}, Device ID: 101e",
                    f"\t\tRegion 0: Memory at {iov:016x} (64-bit, prefetchable)",
                    "\tKernel driver in use: mlx5_core", ""]
                group += 1
                for i in range(vfs_per_nic):
                    rid = VF_OFFSET + VF_STRIDE * i
                    lines += [
                        f"{dom}:{nic_bus:02x}:{rid >> 3:02x}.{rid & 7} Ethernet controller [0200]: "
                        "Mellanox Technologies ConnectX Family mlx5Gen Virtual Function [15b3:101e]",
                        f"\tIOMMU group: {group}",
                        f"\tRegion 0: Memory at {iov + i * VF_BAR:x} (64-bit, prefetchable) [virtual] "
                        f"[size={_size(VF_BAR)}]",
                        "\tCapabilities: [60] Express (v2) Endpoint, MSI 00",
                        "\tKernel driver in use: mlx5_core", ""]
                    group += 1
                nic += 1
            bus = last + 1
        segment += 1
    return "\n".join(lines)


def count_functions(text: str) -> int:
    """Device headers in generated text (one per function)."""
    return sum(1 for ln in text.splitlines() if ln[:1].isalnum())


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    sys.stdout.write(generate(n))
