"""An RDMA importer (needs the whole DMA address list), one module per revision."""
