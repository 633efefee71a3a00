"""rdma-uverbs under v7.3-rc6: the 7.1 object, its map through the 7.3 mapping helper.

06dd5e1ae8ce and b344ca94e8cc reach it through dma_buf_phys_vec_to_sgt();
twins in
:mod:`dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf.mainline_7_3_rc6`.
"""
from __future__ import annotations

from dmabuf_lab.drivers.rdma_uverbs.export import RdmaUverbsExporter
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf import mainline_7_3_rc6


class RdmaUverbs73rc6Exporter(RdmaUverbsExporter):
    twins = mainline_7_3_rc6


def make_exporter(session):
    return RdmaUverbs73rc6Exporter(session)
