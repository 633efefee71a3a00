"""The system dma-heap exporter (pages of system RAM), one module per revision."""
