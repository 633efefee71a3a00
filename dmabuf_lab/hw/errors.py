"""The error a bad topology raises: a preset, a snapshot or a hand-built tree
that does not hang together (duplicate bdf, overlapping BARs, a VF without its PF...).
"""
from __future__ import annotations

from dmabuf_lab.errors import LabInputError


class TopologyError(LabInputError):
    """A topology that cannot describe a real machine; names the device and field."""
