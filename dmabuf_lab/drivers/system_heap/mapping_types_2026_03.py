"""The system_heap driver under the March 2026 mapping-types branch: the RFC's
(:mod:`dmabuf_lab.drivers.system_heap.mapping_types_2026_02`), whose differences
from the branch are selected by the revision's bugs and fixes."""
from __future__ import annotations

from dmabuf_lab.drivers.system_heap.mapping_types_2026_02 import make_exporter  # noqa: F401
