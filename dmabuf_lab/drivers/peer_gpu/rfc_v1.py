"""A peer GPU over a private link under RFC v1: not expressible (no exporter module either).

Interconnect types are a global enum in the core (``NONE``, ``IOV``); a
driver-private link needs a new enum value in dma-buf itself, which is what
Thomas Hellström objected to (the RFC v1 thread (2025-10-14), review of
patch 1: use a pointer so private interconnects need no registration).
"""
from __future__ import annotations

from dmabuf_lab.revisions.base import CannotExpress

REASON = "RFC v1's interconnect types are a global enum with only NONE and IOV; no private link type exists"


def make_importer(session):
    raise CannotExpress(REASON)
