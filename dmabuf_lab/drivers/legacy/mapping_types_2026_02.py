"""The legacy static importer under mapping types: unchanged source, now an SGT
list with NO_P2P built by ``dma_buf_attach()``.  With ``attach_via =
"dynamic-null-ops"`` it reaches ``dma_buf_dynamic_attach(dmabuf, dev, NULL,
NULL)``, which the RFC dereferences (bug ``dynamic-attach-null-ops``)."""
from __future__ import annotations

from dmabuf_lab.drivers.sgt_importer_mt import MtSgtImporter


class LegacyImporter(MtSgtImporter):
    name = "legacy"
    default_dynamic = False


def make_importer(session):
    return LegacyImporter(session)
