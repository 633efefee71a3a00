"""drivers/infiniband/hw/: RDMA device drivers."""
