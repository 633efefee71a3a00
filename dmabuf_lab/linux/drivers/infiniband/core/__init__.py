"""drivers/infiniband/core/: the RDMA core and uverbs."""
