"""The uverbs dma-buf's release op as posted and with the lab's fix (bug ``uverbs-dmabuf-release``).

The twins run against the kmodel runtime inside a session of the release
(posted, or the variant ``fix-uverbs-dmabuf-release``), so the code asks
``fixed()`` exactly as it does under the litmus runner.  Each case is one
ordering of the C: the uverbs file closed before the buffer's last put,
the -EIO abort of an ALLOC racing the entry's removal, and the abort after
a handler that succeeded (the ioctl failed later, so the core's abort
destroys the object it says exists and then puts the buffer's file).
"""
from __future__ import annotations

import contextlib

import pytest

from dmabuf_lab.core.file import syscall
from dmabuf_lab.hw.presets import gpu_nic_same_switch
from dmabuf_lab.kmodel import EIO, Kernel
from dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19 import dma_buf_put
from dmabuf_lab.linux.drivers.infiniband.core.rdma_core.mainline_7_1 import (
    alloc_begin_fd_uobject, rdma_alloc_abort_uobject, rdma_alloc_commit_uobject)
from dmabuf_lab.linux.drivers.infiniband.core.uverbs.mainline_7_1 import ib_uverbs_dmabuf_file
from dmabuf_lab.linux.drivers.infiniband.core.uverbs_std_types_dmabuf import mainline_7_1 as t
from dmabuf_lab.revisions import get_revision
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Session, session_scope

from .test_mainline_7_1 import NIC, PGOFF, _close_ufile, _Dev, _kinds, _setup

RELEASES = ("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")
FIX = f"fix-{t.RELEASE_BUG}"


@contextlib.contextmanager
def _run(release: str, variant: str):
    """A kmodel kernel inside a session of ``release:variant`` (the specs are the scenarios')."""
    s = Session(gpu_nic_same_switch(), ExporterSpec("rdma-uverbs", NIC, 0, ((0x100000, 0x10000),)),
                ImporterSpec("xe", "0000:03:00.0", True), get_revision(release), variant)
    with session_scope(s), Kernel(name=f"{release}:{variant}") as k:
        yield k


def _objects_freed(k) -> bool:
    """Neither the uverbs object nor the uverbs file is left allocated."""
    leaks = [f.message for f in k.findings if f.kind == "leak"]
    return not any("ib_uverbs_dmabuf_file" in m or "ib_uverbs_file" in m for m in leaks)


@pytest.mark.parametrize("release", RELEASES)
def test_every_release_declares_the_bug_and_its_fix_variant(release):
    rev = get_revision(release)
    assert t.RELEASE_BUG in rev.bugs and FIX in rev.variants


@pytest.mark.parametrize("variant,freed", [("posted", False), (FIX, True), ("fixed", True)])
def test_a_close_before_the_last_put_releases_the_object_only_when_fixed(variant, freed):
    with _run("mainline-7.3-rc6", variant) as k:
        pdev, ufile, uctx, entry = _setup()
        with syscall():
            ud = alloc_begin_fd_uobject(ufile, uctx, ib_uverbs_dmabuf_file)
            assert t.uverbs_method_dmabuf_alloc(ud, _Dev(pdev), uctx, PGOFF << 12) == 0
            rdma_alloc_commit_uobject(ud.uobj)
        _close_ufile(ufile)                    # RDMA_REMOVE_CLOSE clears uobj.context
        assert ud.uobj.context is None and ud.dmabuf.priv is ud
        dma_buf_put(ud.dmabuf)                 # the buffer's last reference
    assert _objects_freed(k) is freed
    if freed:
        assert _kinds(k) == []


@pytest.mark.parametrize("variant,uaf", [("posted", True), (FIX, False)])
def test_the_eio_abort_reads_the_freed_object_unless_fixed(variant, uaf):
    with _run("mainline-7.1", variant) as k:
        pdev, ufile, uctx, entry = _setup()
        entry.ref.refcount = 2                 # the driver's remove drops one; the test keeps one
        with syscall():
            ud = alloc_begin_fd_uobject(ufile, uctx, ib_uverbs_dmabuf_file)
            ret = t.uverbs_method_dmabuf_alloc(ud, _Dev(pdev, remove_after_lookup=True), uctx, PGOFF << 12)
            assert ret == -EIO
            rdma_alloc_abort_uobject(ud.uobj, False, t.uverbs_dmabuf_fd_destroy_uobj)
        _close_ufile(ufile)
    assert ("use-after-free" in _kinds(k)) is uaf
    if not uaf:
        assert _kinds(k) == []


@pytest.mark.parametrize("variant,uaf", [("posted", True), (FIX, False)])
def test_an_abort_after_the_handler_reads_the_freed_object_unless_fixed(variant, uaf):
    """The handler returned 0 and linked the buffer; the ioctl then fails, so the core
    destroys the object (RDMA_REMOVE_ABORT: revoke and wait), alloc_abort_fd_uobject()
    puts the buffer's file, and the abort frees the object before that put's release."""
    with _run("mainline-7.2", variant) as k:
        pdev, ufile, uctx, entry = _setup()
        with syscall():
            ud = alloc_begin_fd_uobject(ufile, uctx, ib_uverbs_dmabuf_file)
            assert t.uverbs_method_dmabuf_alloc(ud, _Dev(pdev), uctx, PGOFF << 12) == 0
            rdma_alloc_abort_uobject(ud.uobj, True, t.uverbs_dmabuf_fd_destroy_uobj)
        assert entry.dmabufs == [] and entry.ref.refcount == 1
        _close_ufile(ufile)
    assert ("use-after-free" in _kinds(k)) is uaf
    readers = [f.site for f in k.findings if f.kind == "use-after-free"]
    assert all(site.endswith(" uverbs_dmabuf_release") for site in readers), readers
    if not uaf:
        assert _kinds(k) == []
