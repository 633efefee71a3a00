"""Mainline dma-buf (drivers/dma-buf/dma-buf.c, Linux 6.19): the mainline-6.19 model.

Export wraps an exporter's private object and ops in a dma_buf backed by an
anonymous file; importers attach a device (statically, or dynamically with
``importer_ops``), map the attachment to get an sg_table of DMA addresses
valid for that device, unmap, detach and drop their reference.

Locking follows the kernel's convention: map/unmap/pin/unpin and
move_notify need the buffer's reservation lock held (a missing lock is a
``lock`` finding); attach, detach and the ``*_unlocked`` wrappers take it
themselves.  A static importer's map waits, as the C does, for the
KERNEL fences in the buffer's dma_resv (an exporter's pending move or
clear) before the table is handed out.

Read in gregkh/linux 73e7709d9919 (7.0 development, before the revoke
series: the 6.19 logic of these functions; no literal v6.19 copy of
dma-buf.c is stored) and, for 7.x, intel-lab-lkp/linux 02f9ac5589e4.
"""
from __future__ import annotations

from typing import Any, Optional

from dmabuf_lab.kmodel import (EBADF, EINVAL, ENOENT, ENOMEM, ERR_PTR, IS_ERR,
                               WARN_ON, WARN_ON_ONCE, EBUSY, dma_resv, dma_resv_assert_held,
                               dma_resv_lock, dma_resv_unlock, kfree, kstruct, kzalloc,
                               might_sleep)
from dmabuf_lab.kmodel.fence import DMA_RESV_USAGE_KERNEL, MAX_SCHEDULE_TIMEOUT, dma_resv_wait_timeout
from dmabuf_lab.kmodel.runtime import report
from dmabuf_lab.twins import mirrors

from dmabuf_lab.core.attachment import dma_buf_attachment
from dmabuf_lab.linux.include.linux.dma_buf_h.mainline_6_19 import dma_buf_attachment_is_dynamic
from dmabuf_lab.core.file import alloc_file_pseudo, close_fd, fd_install_new, fget, fput
from dmabuf_lab.core.ops import dma_buf_attach_ops, dma_buf_export_info, dma_buf_ops
from dmabuf_lab.twins import mirrors
from dmabuf_lab.linux.include.linux.dma_buf_h.mainline_6_19 import dma_buf_is_dynamic  # noqa: F401

#: The tree the 6.19 twins below were read in (see the module docstring).
D619 = "gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c"
D619_GAP = "7.0-development dma-buf.c before the revoke series, read as 6.19 (no v6.19 copy stored)"

#: Kconfig DMABUF_MOVE_NOTIFY (experimental, off by default in 6.19): when off,
#: dynamic importers of a pinnable exporter get the buffer pinned at map time.
CONFIG_DMABUF_MOVE_NOTIFY = False


class dma_buf(kstruct):
    """struct dma_buf, the members the model uses.

    ``attachments`` is the list_head of dma_buf_attachment nodes (protected
    by ``resv``); ``file`` the backing anon file; ``priv`` the exporter's
    object.
    """

    fields = (("size", 0), "file", ("attachments", list), "ops", "exp_name", "owner", "priv",
              "resv", "name")


def config_dmabuf_move_notify() -> bool:
    """CONFIG_DMABUF_MOVE_NOTIFY for the run in progress.

    A driver may record the run's kernel config in its session
    (``session.shared["config_dmabuf_move_notify"]``, e.g. the 6.19 vfio
    exporter from its ``dmabuf_move_notify`` option); otherwise the module's
    value, the Kconfig default (off).
    """
    from dmabuf_lab.core.session import current_session

    s = current_session()
    if s is not None and "config_dmabuf_move_notify" in s.shared:
        return bool(s.shared["config_dmabuf_move_notify"])
    return CONFIG_DMABUF_MOVE_NOTIFY


@mirrors(f"{D619}:dma_buf_pin_on_map", gap=D619_GAP, revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_pin_on_map(attach, move_notify_config: Optional[bool] = None) -> bool:
    """Whether map must pin: pinnable exporter and an importer without move_notify.

    ``move_notify_config`` overrides CONFIG_DMABUF_MOVE_NOTIFY for one call
    (None: the module's value); kernels after 609fc8766d68 ("dma-buf: Always
    build with DMABUF_MOVE_NOTIFY") behave as if it were True.
    """
    if move_notify_config is None:
        move_notify_config = config_dmabuf_move_notify()
    config = move_notify_config
    return attach.dmabuf.ops.pin is not None and (
        not dma_buf_attachment_is_dynamic(attach) or not config)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_file_release", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def _dma_buf_file_release(f) -> None:
    """Last fput(): dma_buf_file_release() then the dentry's dma_buf_release()."""
    dmabuf = f.private_data
    if dmabuf is None:      # export failed before the file was wired up
        return
    dma_buf_release(dmabuf)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_release", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_release(dmabuf) -> None:
    """Free a dma_buf once its file is gone: exporter release, then kfree.

    Attachments still on the list at this point are a refcount bug in an
    importer and trigger a WARN, like the kernel.
    """
    dmabuf.ops.release(dmabuf)
    WARN_ON(len(dmabuf.attachments) != 0,
            f"dma_buf_release: {len(dmabuf.attachments)} attachment(s) still on the list")
    kfree(dmabuf)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_export", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_export(exp_info: dma_buf_export_info):
    """Create a dma_buf around ``exp_info.priv`` and ``exp_info.ops``.

    Missing mandatory ops or a pin without unpin (or the reverse) WARN and
    give ERR_PTR(-EINVAL); a failed file or struct allocation gives
    ERR_PTR(-ENOMEM); an ``owner`` marked ``gone`` (module unloading) makes
    try_module_get() fail with -ENOENT.  The new buffer holds one file
    reference, owned by the caller until dma_buf_fd() hands it to an fd or
    dma_buf_put() drops it.
    """
    ops = exp_info.ops
    if WARN_ON(exp_info.priv is None or ops is None or ops.map_dma_buf is None
               or ops.unmap_dma_buf is None or ops.release is None,
               "dma_buf_export: priv or a mandatory op is missing"):
        return ERR_PTR(-EINVAL)
    if WARN_ON((ops.pin is None) != (ops.unpin is None),
               "dma_buf_export: pin and unpin must come together"):
        return ERR_PTR(-EINVAL)
    if exp_info.owner is not None and getattr(exp_info.owner, "gone", False):
        return ERR_PTR(-ENOENT)     # try_module_get() failed
    return __dma_buf_export(exp_info)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_export", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def __dma_buf_export(exp_info: dma_buf_export_info):
    """dma_buf_export() past its checks: the anon file, then the zeroed struct.

    -ENOMEM (or the file's error) when an allocation fails.  Every revision
    that changes only the checks of dma_buf_export() ends in this part.
    """
    f = alloc_file_pseudo(exp_info.flags, _dma_buf_file_release)
    if IS_ERR(f):
        return f

    dmabuf = kzalloc(dma_buf)
    if dmabuf is None:
        fput(f)
        return ERR_PTR(-ENOMEM)

    dmabuf.priv = exp_info.priv
    dmabuf.ops = exp_info.ops
    dmabuf.size = exp_info.size
    dmabuf.exp_name = exp_info.exp_name
    dmabuf.owner = exp_info.owner
    dmabuf.attachments = []
    dmabuf.resv = exp_info.resv if exp_info.resv is not None else dma_resv()
    f.private_data = dmabuf
    dmabuf.file = f
    return dmabuf


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_fd", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_fd(dmabuf, flags: int = 0) -> int:
    """Install the buffer's file in a new fd, which takes over the caller's reference."""
    if dmabuf is None or dmabuf.file is None:
        return -EINVAL
    return fd_install_new(dmabuf.file)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_get", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_get(fd: int):
    """Return the dma_buf behind ``fd`` with one more reference, or ERR_PTR(-EBADF)."""
    f = fget(fd)
    if f is None:
        return ERR_PTR(-EBADF)
    if f.f_op_release is not _dma_buf_file_release:
        fput(f)
        return ERR_PTR(-EINVAL)
    return f.private_data


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_put", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_put(dmabuf) -> None:
    """Drop one reference; the last one releases the buffer."""
    if WARN_ON(dmabuf is None or dmabuf.file is None, "dma_buf_put on a NULL buffer"):
        return
    fput(dmabuf.file)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_dynamic_attach", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "offer-list", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_dynamic_attach(dmabuf, dev, importer_ops: Optional[dma_buf_attach_ops] = None,
                           importer_priv: Any = None, *,
                           attachment_type: type = dma_buf_attachment,
                           require_move_notify: bool = True):
    """Attach ``dev`` to ``dmabuf``; dynamic when ``importer_ops`` is given.

    ``importer_ops`` without ``move_notify`` WARNs and gives -EINVAL.  The
    attachment is allocated (-ENOMEM on failure), ``peer2peer`` copied from
    ``allow_peer2peer``, then the exporter's ``attach`` may refuse it with its
    own error, in which case it is freed.  On success it is added to the
    buffer's list under the reservation lock.  Must be called without the
    lock held.  ``attachment_type`` lets a later revision allocate a
    subclass carrying more fields; ``require_move_notify=False`` is the
    later kernel, where the callback is optional.
    """
    if WARN_ON(dmabuf is None or dev is None, "dma_buf_dynamic_attach: NULL dmabuf or dev"):
        return ERR_PTR(-EINVAL)
    if require_move_notify and WARN_ON(importer_ops is not None and importer_ops.move_notify is None,
                                       "dma_buf_dynamic_attach: importer_ops without move_notify"):
        return ERR_PTR(-EINVAL)

    attach = kzalloc(attachment_type)
    if attach is None:
        return ERR_PTR(-ENOMEM)
    __dma_buf_attachment_init(attach, dmabuf, dev, importer_ops, importer_priv)

    if dmabuf.ops.attach is not None:
        ret = dmabuf.ops.attach(dmabuf, attach)
        if ret:
            kfree(attach)
            return ERR_PTR(ret)

    dma_resv_lock(dmabuf.resv)
    dmabuf.attachments.insert(0, attach)      # list_add(): at the head
    dma_resv_unlock(dmabuf.resv)
    return attach


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_dynamic_attach", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def __dma_buf_attachment_init(attach, dmabuf, dev, importer_ops, importer_priv) -> None:
    """Fill a new attachment as dma_buf_dynamic_attach() does: ``peer2peer``
    copied from ``allow_peer2peer`` (false for a static importer)."""
    attach.dev = dev
    attach.dmabuf = dmabuf
    attach.peer2peer = bool(importer_ops.allow_peer2peer) if importer_ops is not None else False
    attach.importer_ops = importer_ops
    attach.importer_priv = importer_priv
    attach.nr_mappings = 0


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_attach", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "offer-list"))
def dma_buf_attach(dmabuf, dev):
    """Static attach: dma_buf_dynamic_attach() without importer_ops (no P2P)."""
    return dma_buf_dynamic_attach(dmabuf, dev, None, None)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_detach", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-02", "mapping-types-2026-03", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_detach(dmabuf, attach) -> None:
    """Take ``attach`` off the buffer's list, let the exporter clean up, free it.

    A mismatched or NULL pair WARNs and does nothing.  Mappings still held
    by the attachment at this point are reported as a ``leak`` (the kernel
    does not check; the exporter's DMA state for them is never torn down).
    """
    if WARN_ON(dmabuf is None or attach is None or attach.dmabuf is not dmabuf,
               "dma_buf_detach: NULL or mismatched attachment"):
        return
    if attach.nr_mappings:
        report("leak", f"dma_buf_detach with {attach.nr_mappings} mapping(s) of "
                       f"{_dev_name(attach.dev)} still held", "dma_buf_detach")

    dma_resv_lock(dmabuf.resv)
    _list_del(dmabuf.attachments, attach)
    dma_resv_unlock(dmabuf.resv)

    if dmabuf.ops.detach is not None:
        dmabuf.ops.detach(dmabuf, attach)
    kfree(attach)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_pin", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6", "mapping-types-2026-03"))
def dma_buf_pin(attach) -> int:
    """Pin the buffer for a dynamic importer (resv held); 0 or the exporter's error."""
    dmabuf = attach.dmabuf
    WARN_ON(attach.importer_ops is None, "dma_buf_pin from a static importer")
    dma_resv_assert_held(dmabuf.resv)
    if dmabuf.ops.pin is not None:
        return dmabuf.ops.pin(attach)
    return 0


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_unpin", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6", "mapping-types-2026-03"))
def dma_buf_unpin(attach) -> None:
    """Undo dma_buf_pin() (resv held)."""
    dmabuf = attach.dmabuf
    WARN_ON(attach.importer_ops is None, "dma_buf_unpin from a static importer")
    dma_resv_assert_held(dmabuf.resv)
    if dmabuf.ops.unpin is not None:
        dmabuf.ops.unpin(attach)


@mirrors(f"{D619}:dma_buf_map_attachment", gap=D619_GAP, revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_map_attachment(attach, direction: int, *, move_notify_config: Optional[bool] = None):
    """Map the buffer for ``attach.dev``: an sg_table of DMA addresses, or ERR_PTR.

    The reservation lock must be held (static and dynamic importers alike).
    A pinnable exporter is pinned first when the importer cannot take
    move_notify; an exporter returning NULL counts as -ENOMEM.  A static
    importer then waits for the KERNEL fences of the buffer (interruptibly,
    without a timeout); a negative result unmaps the table again.  Any
    failure after a pin unpins again.  ``move_notify_config``: see
    :func:`dma_buf_pin_on_map`.
    """
    might_sleep()
    if WARN_ON(attach is None or attach.dmabuf is None, "dma_buf_map_attachment: NULL"):
        return ERR_PTR(-EINVAL)
    dmabuf = attach.dmabuf
    dma_resv_assert_held(dmabuf.resv)

    pin_on_map = dma_buf_pin_on_map(attach, move_notify_config)
    if pin_on_map:
        ret = dmabuf.ops.pin(attach)
        WARN_ON_ONCE(ret == -EBUSY, "exporter refused a pin while attachments exist")
        if ret:
            return ERR_PTR(ret)

    sg_table = dmabuf.ops.map_dma_buf(attach, direction)
    if sg_table is None:
        sg_table = ERR_PTR(-ENOMEM)
    if IS_ERR(sg_table):
        if pin_on_map:
            dmabuf.ops.unpin(attach)
        return sg_table

    if not dma_buf_attachment_is_dynamic(attach):
        # a static importer cannot be told about a move: the core waits for it
        ret = dma_resv_wait_timeout(dmabuf.resv, DMA_RESV_USAGE_KERNEL, True, MAX_SCHEDULE_TIMEOUT)
        if ret < 0:
            dmabuf.ops.unmap_dma_buf(attach, sg_table, direction)
            if pin_on_map:
                dmabuf.ops.unpin(attach)
            return ERR_PTR(ret)
    attach.nr_mappings += 1
    return sg_table


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_map_attachment_unlocked", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19",))
def dma_buf_map_attachment_unlocked(attach, direction: int, *,
                                    move_notify_config: Optional[bool] = None):
    """dma_buf_map_attachment() wrapped in the reservation lock."""
    might_sleep()
    if WARN_ON(attach is None or attach.dmabuf is None, "dma_buf_map_attachment_unlocked: NULL"):
        return ERR_PTR(-EINVAL)
    dma_resv_lock(attach.dmabuf.resv)
    sg_table = dma_buf_map_attachment(attach, direction, move_notify_config=move_notify_config)
    dma_resv_unlock(attach.dmabuf.resv)
    return sg_table


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_unmap_attachment", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def dma_buf_unmap_attachment(attach, sg_table, direction: int, *,
                             move_notify_config: Optional[bool] = None) -> None:
    """Give a mapping back to the exporter (resv held), unpinning if map pinned."""
    might_sleep()
    if WARN_ON(attach is None or attach.dmabuf is None or sg_table is None,
               "dma_buf_unmap_attachment: NULL"):
        return
    dmabuf = attach.dmabuf
    dma_resv_assert_held(dmabuf.resv)
    dmabuf.ops.unmap_dma_buf(attach, sg_table, direction)
    if attach.nr_mappings:
        attach.nr_mappings -= 1
    if dma_buf_pin_on_map(attach, move_notify_config):
        dmabuf.ops.unpin(attach)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_unmap_attachment_unlocked", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19",))
def dma_buf_unmap_attachment_unlocked(attach, sg_table, direction: int, *,
                                      move_notify_config: Optional[bool] = None) -> None:
    """dma_buf_unmap_attachment() wrapped in the reservation lock."""
    might_sleep()
    if WARN_ON(attach is None or attach.dmabuf is None or sg_table is None,
               "dma_buf_unmap_attachment_unlocked: NULL"):
        return
    dma_resv_lock(attach.dmabuf.resv)
    dma_buf_unmap_attachment(attach, sg_table, direction, move_notify_config=move_notify_config)
    dma_resv_unlock(attach.dmabuf.resv)


@mirrors("gregkh/linux@73e7709d9919:drivers/dma-buf/dma-buf.c:dma_buf_move_notify", gap="no stored copy at v6.19: read in a 7.0-cycle tree before the revoke series, whose code here matches 6.19", revisions=("mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2", "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03"))
def dma_buf_move_notify(dmabuf) -> None:
    """Tell every dynamic importer to drop and rebuild its mappings (resv held)."""
    dma_resv_assert_held(dmabuf.resv)
    for attach in list(dmabuf.attachments):
        if attach.importer_ops is not None:
            attach.importer_ops.move_notify(attach)


def _list_del(lst: list, item) -> None:
    for i, x in enumerate(lst):
        if x is item:
            del lst[i]
            return
    WARN_ON(True, "list_del of an entry that is not on the list")


def _dev_name(dev) -> str:
    return getattr(dev, "bdf", None) or getattr(dev, "name", None) or repr(dev)


__all__ = [
    "CONFIG_DMABUF_MOVE_NOTIFY", "dma_buf", "dma_buf_ops", "dma_buf_attach_ops",
    "dma_buf_export_info", "dma_buf_attachment", "dma_buf_attachment_is_dynamic",
    "dma_buf_is_dynamic", "dma_buf_pin_on_map", "dma_buf_export", "__dma_buf_export",
    "__dma_buf_attachment_init", "dma_buf_fd",
    "dma_buf_get", "dma_buf_put", "dma_buf_release", "dma_buf_dynamic_attach", "dma_buf_attach",
    "dma_buf_detach", "dma_buf_pin", "dma_buf_unpin", "dma_buf_map_attachment",
    "dma_buf_map_attachment_unlocked", "dma_buf_unmap_attachment",
    "dma_buf_unmap_attachment_unlocked", "dma_buf_move_notify", "close_fd",
]
