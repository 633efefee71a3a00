"""drivers/dma-buf/dma-resv.c."""
