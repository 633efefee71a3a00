"""rdma-uverbs: an RDMA NIC exporting a BAR range of one mmap entry through the uverbs dma-buf object."""
