"""drivers/infiniband/core/uverbs.h: the uverbs structs the dma-buf exporter shares with the mmap entries."""
