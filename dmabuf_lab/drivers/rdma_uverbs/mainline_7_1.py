"""rdma-uverbs under Linux 7.1: the uverbs dma-buf object over the 6.19 mapping helper.

The first release the lab models that has the exporter (0ac6f4056c4a came
with 7.0); twins in
:mod:`dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf.mainline_7_1`,
the driver side in :mod:`dmabuf_lab.drivers.rdma_uverbs.export`.
"""
from __future__ import annotations

from dmabuf_lab.drivers.rdma_uverbs.export import RdmaUverbsExporter
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf import mainline_7_1


class RdmaUverbs71Exporter(RdmaUverbsExporter):
    twins = mainline_7_1


def make_exporter(session):
    return RdmaUverbs71Exporter(session)
