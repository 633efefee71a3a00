"""Facts about PCI functions that only the kernel log prints, picked out of pasted dmesg lines.

lspci never prints the per-VF size of an IOV BAR, but sriov_init() in
drivers/pci/iov.c logs the whole IOV window once it has sized it::

    pci 0000:53:00.0: VF(n) BAR0 space: [mem 0x205e00000000-0x205e1effffff 64bit pref] (contains BAR0 for 31 VFs)

(kernels since the resource names were added print the same fact as
``VF BAR 0 [mem 0xc4000000-0xc47fffff]: contains BAR 0 for 32 VFs``, the
``"%s %pR: contains BAR %d for %d VFs"`` of sriov_init()), so per-VF size =
window size / VFs, as virtfn_add() divides it.  And
pci_setup_device() in drivers/pci/probe.c logs ids and class::

    pci 0000:53:00.0: [8086:56c0] type 00 class 0x038000
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_BDF = r"(?P<bdf>(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])"
_VF_SPACE = re.compile(_BDF + r":\s+VF\(n\) BAR(?P<bar>[0-5]) space:\s*\[mem\s+(?P<start>0x[0-9a-fA-F]+)-"
                       r"(?P<end>0x[0-9a-fA-F]+)[^\]]*\]\s*\(contains BAR[0-5] for (?P<n>[0-9]+) VFs\)")
_VF_BAR_NAMED = re.compile(_BDF + r":\s+VF BAR (?P<bar>[0-5]) \[mem\s+(?P<start>0x[0-9a-fA-F]+)-"
                           r"(?P<end>0x[0-9a-fA-F]+)[^\]]*\]:\s*contains BAR [0-5] for (?P<n>[0-9]+) VFs")
_IDS = re.compile(_BDF + r":\s+\[(?P<ven>[0-9a-fA-F]{4}):(?P<dev>[0-9a-fA-F]{4})\] type (?P<type>[0-9a-fA-F]{2})"
                  r" class (?P<cls>0x[0-9a-fA-F]{1,6})")
TIMESTAMP = re.compile(r"^\[\s*[0-9]+\.[0-9]+\]")


@dataclass
class KernelLogFacts:
    """What the log says, per bdf (always with a domain)."""

    ids: dict[str, tuple[int, int, int]] = field(default_factory=dict)          # bdf -> vendor, device, class
    vf_bar_space: dict[str, dict[int, tuple[int, int, int, int]]] = field(default_factory=dict)
    # bdf -> {bar: (start, window size, VFs, line)}


def _bdf(text: str) -> str:
    return text.lower() if text.count(":") == 2 else f"0000:{text.lower()}"


def read_kernel_log(lines) -> KernelLogFacts:
    """Scan ``(line_number, text)`` pairs (logical lines, wrapping undone) for the two messages."""
    facts = KernelLogFacts()
    for number, text in lines:
        if "pci" not in text:
            continue
        for m in _IDS.finditer(text):
            facts.ids.setdefault(_bdf(m.group("bdf")),
                                 (int(m.group("ven"), 16), int(m.group("dev"), 16), int(m.group("cls"), 16)))
        for m in list(_VF_SPACE.finditer(text)) + list(_VF_BAR_NAMED.finditer(text)):
            start, end, n = int(m.group("start"), 16), int(m.group("end"), 16), int(m.group("n"))
            if end >= start:
                facts.vf_bar_space.setdefault(_bdf(m.group("bdf")), {}).setdefault(
                    int(m.group("bar")), (start, end - start + 1, n, number))
    return facts
