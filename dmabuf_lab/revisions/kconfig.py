"""What every verdict assumes: the kernel, the Kconfig options, the topology, the variant.

A verdict of the lab holds for one modelled kernel: the code of a revision
(as posted, or with a fix), a kernel configuration and a machine.  This
module names those assumptions so that every form that shows verdicts (the
matrix figure and its email text, ``dmabuf-lab litmus``, the litmus
charts) can state them.  The Kconfig defaults live here, beside the
revisions they describe; which verdicts turn on an option is found by
:mod:`dmabuf_lab.litmus.kconfig_flip`.

Kconfig options the model reads (default = the lab's kernel config):

``CONFIG_DMABUF_MOVE_NOTIFY`` (n, as 6.19 defaults)
    6.19 pins a dynamic attachment at map time without it; the get_pfn RFC
    refuses a pinnable buffer without it; xe in the 2026-02 mapping-types
    RFC lists SGT_P2P only with it.
``CONFIG_DRM_XE_DEBUG`` (n)
    makes ``xe_assert()`` live (the RFC v1 xe translation passes a range
    length as page size).

Options every modelled path assumes on and never varies:
``CONFIG_DMA_SHARED_BUFFER``, ``CONFIG_PCI_P2PDMA``, ``CONFIG_VFIO_PCI_DMABUF``,
``CONFIG_PCI_IOV``.
"""
from __future__ import annotations

import contextlib
import textwrap
from typing import Iterable

import dmabuf_lab.core as core
import dmabuf_lab.core.dma_buf as core_dma_buf
from dmabuf_lab.revisions import get_revision, split_target

#: Option -> the value the lab's kernel config gives it.
KCONFIG_DEFAULTS = {"CONFIG_DMABUF_MOVE_NOTIFY": "n", "CONFIG_DRM_XE_DEBUG": "n"}
#: Options assumed on everywhere (not varied).
KCONFIG_ALWAYS = ("CONFIG_DMA_SHARED_BUFFER", "CONFIG_PCI_P2PDMA", "CONFIG_VFIO_PCI_DMABUF", "CONFIG_PCI_IOV")


@contextlib.contextmanager
def move_notify_config(value: bool):
    """Run with the core's CONFIG_DMABUF_MOVE_NOTIFY set to ``value`` (restored after)."""
    old = (core_dma_buf.CONFIG_DMABUF_MOVE_NOTIFY, core.CONFIG_DMABUF_MOVE_NOTIFY)
    core_dma_buf.CONFIG_DMABUF_MOVE_NOTIFY = core.CONFIG_DMABUF_MOVE_NOTIFY = value
    try:
        yield
    finally:
        core_dma_buf.CONFIG_DMABUF_MOVE_NOTIFY, core.CONFIG_DMABUF_MOVE_NOTIFY = old


def kernel_of(target: str) -> str:
    """The modelled kernel of a revision, in words."""
    name, variant = split_target(target)
    try:
        rev = get_revision(name)
    except Exception:
        return name
    what = rev.title if rev.name.startswith("mainline") else f"{rev.title}, posted {rev.date}"
    return f"{what} ({variant})"


def spec_config(exporter=None, importer=None) -> dict:
    """The Kconfig values one run uses: the defaults, unless a spec option sets one."""
    out = dict(KCONFIG_DEFAULTS)
    if exporter is not None and exporter.option("dmabuf_move_notify") is not None:
        out["CONFIG_DMABUF_MOVE_NOTIFY"] = "y" if exporter.option("dmabuf_move_notify") else "n"
    if importer is not None and importer.option("drm_xe_debug") is not None:
        out["CONFIG_DRM_XE_DEBUG"] = "y" if importer.option("drm_xe_debug") else "n"
    return out


def kconfig_text(config: dict | None = None) -> str:
    """``CONFIG_DMABUF_MOVE_NOTIFY=n, CONFIG_DRM_XE_DEBUG=n; assumed y: ...``."""
    varied = ", ".join(f"{k}={v}" for k, v in (config or KCONFIG_DEFAULTS).items())
    return f"{varied}; assumed y: {', '.join(KCONFIG_ALWAYS)}"


def assumptions_lines(targets: Iterable[str], topologies: Iterable[str], width: int = 72,
                      variant_note: str | None = None) -> list[str]:
    """The assumptions block for a figure or a report, wrapped to ``width``."""
    targets = list(dict.fromkeys(targets))
    variants = sorted({split_target(t)[1] for t in targets})
    lines = ["Assumes:"]

    def add(label: str, text: str) -> None:
        lines.extend(textwrap.wrap(f"{label}: {text}", width=width, initial_indent="  ",
                                   subsequent_indent="    ", break_on_hyphens=False,
                                   break_long_words=False))

    names = {split_target(t)[0] for t in targets}
    releases = [r for r in names if r.startswith("mainline")]
    kernel = [kernel_of(r).rsplit(" (", 1)[0] for r in sorted(releases)]
    if names - set(releases):
        kernel.append("the designs: each posting's code over the lab's model of the 6.19 core")
    add("kernel", "; ".join(kernel))
    add("config", kconfig_text())
    if any(r.startswith("mainline-7") for r in releases):
        add("note", "CONFIG_DMABUF_MOVE_NOTIFY is gone from 7.1 on (609fc8766d68); "
                    "the releases from mainline-7.1 on behave as if it were y")
    add("topology", ", ".join(topologies))
    add("variant", variant_note or ", ".join(variants))
    add("sources", "docs/sources.md; findings: dmabuf-lab findings")
    return lines


def assumptions_text(targets: Iterable[str], topologies: Iterable[str], variant_note: str | None = None) -> str:
    """:func:`assumptions_lines` as a block to append to a figure's email text."""
    return "\n\n" + "\n".join(assumptions_lines(targets, topologies, variant_note=variant_note))
