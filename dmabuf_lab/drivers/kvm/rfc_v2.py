"""KVM under rfc-v2: not expressible; there is no interconnect carrying CPU physical
addresses for a guest mapping, and KVM has no device for an sg_table."""
from __future__ import annotations

from dmabuf_lab.revisions.base import CannotExpress


def make_importer(session):
    raise CannotExpress("rfc-v2 has only the IOV interconnect and sg_tables; nothing gives KVM a PFN")
