"""Backend choice, and the GPU checks that need a real device."""
import numpy as np
import pytest

from dmabuf_lab.kernels import backends
from dmabuf_lab.kernels.iommu_map import iommu_map_split

GPU_OK, GPU_WHY = backends.gpu_usable()


def test_resolve_names():
    assert backends.resolve("reference") == "reference"
    assert backends.resolve("numba") == "numba"
    assert backends.resolve("auto") in ("numba", "cuda", "reference")
    with pytest.raises(ValueError, match="unknown backend"):
        backends.resolve("opencl")


def test_auto_never_picks_the_simulator(monkeypatch):
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "1")
    assert backends.resolve("auto") != "cuda"
    assert backends.gpu_usable()[0] is False


@pytest.mark.skipif(GPU_OK, reason="a GPU is present: the cuda backend is available")
def test_cuda_refused_without_gpu(monkeypatch):
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    with pytest.raises(backends.BackendUnavailable):
        backends.resolve("cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not GPU_OK, reason=f"needs a real CUDA GPU: {GPU_WHY}")
def test_cuda_on_gpu_matches_reference():
    rng = np.random.default_rng(3)
    n = 100_000
    v = (rng.integers(0, 1 << 30, n) << 12).astype(np.uint64)
    s = (rng.integers(1, 1 << 12, n) << 12).astype(np.uint64)
    bitmap = (1 << 12) | (1 << 21) | (1 << 30)
    a = iommu_map_split(v, v, s, bitmap, backend="cuda")
    b = iommu_map_split(v, v, s, bitmap, backend="reference")
    for f in ("range_index", "iova", "paddr", "pgsize", "count", "status"):
        assert np.array_equal(backends.to_host(getattr(a, f)), getattr(b, f))
    cp = backends.cupy_module()
    if cp is not None:  # device arrays in, device arrays out
        c = iommu_map_split(cp.asarray(v), cp.asarray(v), cp.asarray(s), bitmap, backend="cuda")
        assert backends.is_device_array(c.iova)
        assert np.array_equal(cp.asnumpy(c.count), b.count)
