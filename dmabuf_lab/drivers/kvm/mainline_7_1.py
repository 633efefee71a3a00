"""KVM under Linux 7.1: still not expressible.

The revoke series changed how importers are told to let go, not what they
receive: an sg_table of DMA addresses for a device.  KVM is no device and
no mainline exporter hands it a PFN.
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import CannotExpress


def make_importer(session):
    raise CannotExpress("mainline dma-buf from 7.1 on has no way to give KVM a PFN or physical address")
