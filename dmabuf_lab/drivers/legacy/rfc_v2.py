"""The legacy static sg_table importer under rfc-v2: unchanged; a static attachment
has no importer_ops, hence no ``supports_interconnects`` and never ``allow_ic``."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_v2 import V2SgtImporter


class LegacyImporter(V2SgtImporter):
    name = "legacy"
    default_dynamic = False


def make_importer(session):
    return LegacyImporter(session)
