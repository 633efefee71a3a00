"""RFC v2 frames: container bytes by hand, ownership of an unmap-less mapping, container_of."""
from __future__ import annotations


from dmabuf_lab.experiments import rfc_v2_review as rv


def test_container_costs_hand_arithmetic():
    c = rv.container_costs([1, 64])
    get = {(r["short"], r["ranges"]): r for r in c.iter_rows(named=True)}
    for n in (1, 64):
        # struct phys_vec {paddr; len} = 16 bytes, one kvmalloc_array
        assert get[("phys_vec[]", n)]["requested_bytes"] == 16 * n
        assert get[("phys_vec[]", n)]["allocations"] == 1
        # struct dma_buf_mapping {phys *; unsigned nents; void *map_data} = 8 + 4 (+4 pad) + 8 = 24
        assert get[("dma_buf_mapping (v2)", n)]["requested_bytes"] == 24 + 16 * n
        assert get[("dma_buf_mapping (v2)", n)]["allocations"] == 2
    # 64 entries need an xa_node besides the container and the range array
    assert get[("xarray (v1)", 64)]["allocations"] >= 3
    assert (c["findings"] == "").all()


def test_release_paths():
    r = {row["release"]: row["findings"] for row in rv.release_paths().iter_rows(named=True)}
    assert r["dma_buf_mapping_free(): kvfree(phys), kfree(m)"] == "clean"
    assert r["kfree(phys), kfree(m)"] == "bad-free"
    assert r["nothing (forgotten)"] == "leak"
    assert r["kfree(m) only"] == "leak"


def test_container_of():
    rows = rv.container_of_cases()["result"].to_list()
    assert rows[0].startswith("ok")
    assert rows[1].startswith("oops")
