"""drivers/infiniband/hw/mlx5/main.c: mlx5's mmap entry callbacks for the dma-buf export."""
