"""drivers/infiniband/core/umem_dmabuf.c: the RDMA dma-buf importer, release by release."""
