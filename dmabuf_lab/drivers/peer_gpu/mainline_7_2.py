"""peer_gpu under Linux 7.2: no change to the modelled paths since 7.1."""
from dmabuf_lab.drivers.peer_gpu.mainline_7_1 import make_importer  # noqa: F401
