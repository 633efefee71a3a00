"""drivers/infiniband/core/ib_core_uverbs.c: the user mmap entries a dma-buf is cut from."""
