"""drivers/infiniband/core/uverbs_std_types_dmabuf.c: the uverbs dma-buf exporter."""
