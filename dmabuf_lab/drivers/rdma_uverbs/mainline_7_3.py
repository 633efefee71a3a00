"""rdma-uverbs under the lab's composite mainline-7.3: the 7.3-rc6 twins.

The uverbs dma-buf object (0ac6f4056c4a, 7.0) over the 7.3 mapping helper;
see :mod:`dmabuf_lab.drivers.rdma_uverbs.export`.
"""
from __future__ import annotations

from dmabuf_lab.drivers.rdma_uverbs.export import RdmaUverbsExporter
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf import mainline_7_3_rc6


class RdmaUverbs73Exporter(RdmaUverbsExporter):
    twins = mainline_7_3_rc6


def make_exporter(session):
    return RdmaUverbs73Exporter(session)
