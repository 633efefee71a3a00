"""drivers/infiniband/hw/mlx5/: the mlx5 RDMA driver."""
