"""drivers/infiniband/: the RDMA subsystem."""
