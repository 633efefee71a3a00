"""`dmabuf-lab bench`: throughput of the bulk kernels against the memory roofline."""
