"""system_heap under Linux 7.2: no change to the modelled paths since 7.1."""
from dmabuf_lab.drivers.system_heap.mainline_7_1 import make_exporter  # noqa: F401
