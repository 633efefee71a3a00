"""Twins of files under drivers/dma-buf/."""
# dmabuf_lab.core's face re-exports these twins: load it first, so that
# importing a twin module before the core works in either order.
import dmabuf_lab.core  # noqa: F401,E402
