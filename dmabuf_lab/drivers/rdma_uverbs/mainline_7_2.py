"""rdma-uverbs under Linux 7.2: no change to its paths since 7.1."""
from dmabuf_lab.drivers.rdma_uverbs.mainline_7_1 import make_exporter  # noqa: F401
