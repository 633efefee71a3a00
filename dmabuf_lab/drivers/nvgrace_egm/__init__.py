"""NVIDIA nvgrace-gpu Extended GPU Memory (EGM) as a dma-buf exporter, per revision."""
