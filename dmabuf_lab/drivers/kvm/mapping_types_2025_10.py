"""KVM under mapping-types-2025-10: the PAL type carries CPU physical addresses and
the design ties it to no module, so KVM can list ``[PAL]`` and build its guest mapping
from it.  (The 2026-02 RFC later exported PAL to iommufd alone.)"""
from __future__ import annotations

from dmabuf_lab.drivers.pal_importer import Mt2510PalImporter


class KvmPalImporter(Mt2510PalImporter):
    name = "kvm"


def make_importer(session):
    return KvmPalImporter(session)
