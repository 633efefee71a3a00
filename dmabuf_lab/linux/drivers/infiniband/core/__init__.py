"""Twins of files under drivers/infiniband/core/."""
