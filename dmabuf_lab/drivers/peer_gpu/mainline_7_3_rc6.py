"""peer_gpu under v7.3-rc6: no change to the modelled paths since 7.2."""
from dmabuf_lab.drivers.peer_gpu.mainline_7_2 import make_importer  # noqa: F401
