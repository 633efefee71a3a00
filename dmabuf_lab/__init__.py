"""dmabuf-lab: executable models of the dma-buf interconnect / mapping-type designs."""

__version__ = "0.1.0"
