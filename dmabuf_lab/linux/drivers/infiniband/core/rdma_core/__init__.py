"""drivers/infiniband/core/rdma_core.c: the uobject life cycle of an fd object."""
