"""Fixtures shared by the kernel tests."""
import pytest

# CPU backends always run; the cuda backend is exercised under the simulator
# in test_cuda_sim.py (a subprocess) and on a real GPU in test_backends.py.
CPU_BACKENDS = ["reference", "numba"]


@pytest.fixture(params=CPU_BACKENDS)
def backend(request):
    return request.param
