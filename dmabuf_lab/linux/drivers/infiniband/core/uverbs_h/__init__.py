"""Twins of drivers/infiniband/core/uverbs.h, one module per release or posting that changed it."""
