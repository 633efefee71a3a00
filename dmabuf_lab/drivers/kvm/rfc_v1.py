"""KVM under RFC v1: not expressible.

The RFC adds one interconnect, IOV, whose match requires the importer to be
the exporting VF's PCI PF; KVM is no PCI function and still has no way to
receive a PFN or physical address (the RFC v1 thread (2025-10-14)).
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import CannotExpress


def make_importer(session):
    raise CannotExpress("RFC v1 has only the IOV interconnect (PF <-> own VF); KVM still gets no PFN")
