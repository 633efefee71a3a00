"""The uobject life cycle of an fd-backed uverbs object, as the dma-buf export uses it.

drivers/infiniband/core/rdma_core.c read in the tree that merged the uverbs
dma-buf exporter for 7.0 (0ac6f4056c4a "RDMA/uverbs: Add DMABUF object type
and operations", which taught the fd class to take a file the handler made
itself).  No change to these functions between 7.0 and 7.3-rc6 is known.

Only the fd class and only the steps the dma-buf object reaches are
modelled: the ioctl's allocation (``alloc_uobj``), its commit or abort, the
destroy that calls the type's ``destroy_object`` (``destroy_hw``), and
``uverbs_uobject_release()``, which the dma-buf's release op calls.  The
``hw_destroy_rwsem`` every path takes for read is left out: the lab never
tears a whole uverbs file down beside an ioctl on it.  The uobject's free is
``kfree_rcu()``; the model frees at once, so a read after it is reported
as a use-after-free (no RCU read-side section protects any reader here).
"""
from __future__ import annotations

from dmabuf_lab.core.file import fput
from dmabuf_lab.kmodel import EBUSY, ENOMEM, ERR_PTR, IS_ERR, WARN_ON, kfree, kstruct, kzalloc
from dmabuf_lab.kmodel.completion import kref, kref_get, kref_init, kref_put
from dmabuf_lab.twins import mirrors

_PIN = "torvalds/linux@311aa68319f6:drivers/infiniband/core/rdma_core.c"
#: The lab revisions that run these twins (the rdma-uverbs exporter's releases).
RUN_BY = ("mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")

# enum rdma_remove_reason (include/rdma/ib_verbs.h)
RDMA_REMOVE_DESTROY = 0
RDMA_REMOVE_CLOSE = 1
RDMA_REMOVE_DRIVER_REMOVE = 2
RDMA_REMOVE_ABORT = 3
RDMA_REMOVE_DRIVER_FAILURE = 4

# enum rdma_lookup_mode
UVERBS_LOOKUP_READ = 0
UVERBS_LOOKUP_WRITE = 1
UVERBS_LOOKUP_DESTROY = 2


class ib_uverbs_file(kstruct):
    """The uverbs character-device file: a kref (one per committed fd object) and its uobjects."""

    fields = (("ref", kref), ("uobjects", list), "ucontext")


class ib_uobject(kstruct):
    """The core's part of every uverbs object; embedded first in the type's own struct.

    ``usecnt`` is the object's lock (-1: write-locked); ``object`` the HW
    object (for an fd type its struct file); ``context`` the ucontext, set
    at allocation and cleared by every destroy."""

    fields = ("ufile", "context", "object", ("usecnt", 0), ("ref", kref), ("on_list", False),
              ("id", -1))


@mirrors(f"{_PIN}:ib_uverbs_release_file", gap="lives in uverbs_main.c; modelled by its effect here, "
         "freeing the uverbs file once its last reference goes", revisions=RUN_BY)
def ib_uverbs_release_file(r: kref) -> None:
    """Last reference of the uverbs file: free it."""
    kfree(r.container)


@mirrors(f"{_PIN}:uverbs_uobject_free", revisions=RUN_BY)
def uverbs_uobject_free(r: kref) -> None:
    """kfree_rcu() of the whole type struct the uobject heads."""
    kfree(r.container)


@mirrors(f"{_PIN}:uverbs_uobject_put", revisions=RUN_BY)
def uverbs_uobject_put(uobj) -> None:
    kref_put(uobj.ref, uverbs_uobject_free)


@mirrors(f"{_PIN}:uverbs_try_lock_object", revisions=RUN_BY)
def uverbs_try_lock_object(uobj, mode: int) -> int:
    """READ: a shared count unless write-locked; WRITE: only from 0 to -1; DESTROY: always."""
    if mode == UVERBS_LOOKUP_READ:
        if uobj.usecnt == -1:
            return -EBUSY
        uobj.usecnt += 1
        return 0
    if mode == UVERBS_LOOKUP_WRITE:
        if uobj.usecnt != 0:
            return -EBUSY
        uobj.usecnt = -1
        return 0
    return 0


@mirrors(f"{_PIN}:alloc_uobj", revisions=RUN_BY)
def alloc_uobj(ufile, context, obj_type):
    """kzalloc of the type's struct (``obj_type``); its uobject starts write-locked with one kref.

    Returns the type struct (the uobject is its ``uobj`` member) or ERR_PTR(-ENOMEM)."""
    obj = kzalloc(obj_type)
    if obj is None:
        return ERR_PTR(-ENOMEM)
    uobj = obj.uobj
    uobj.ufile = ufile
    uobj.context = context
    uobj.usecnt = -1
    uobj.ref.container = obj
    kref_init(uobj.ref)
    return obj


@mirrors(f"{_PIN}:alloc_begin_fd_uobject", revisions=RUN_BY)
def alloc_begin_fd_uobject(ufile, context, obj_type, new_fd: int = 3):
    """The fd class's begin: a uobject and a reserved fd; a type without fops (the
    dma-buf) makes no file here, its handler supplies one."""
    obj = alloc_uobj(ufile, context, obj_type)
    if IS_ERR(obj):
        return obj
    obj.uobj.id = new_fd          # get_unused_fd_flags(); the lab's fd table is not involved
    return obj


@mirrors(f"{_PIN}:alloc_abort_fd_uobject", revisions=RUN_BY)
def alloc_abort_fd_uobject(uobj) -> None:
    """Put the file if the begin made one (never for the dma-buf type), release the fd."""
    if uobj.object is not None:
        fput(uobj.object)


@mirrors(f"{_PIN}:destroy_hw_fd_uobject", revisions=RUN_BY)
def destroy_hw_fd_uobject(uobj, why: int, destroy_object) -> int:
    """Call the type's destroy_object (``destroy_object``); the fd class never fails it."""
    destroy_object(uobj, why)
    return 0


@mirrors(f"{_PIN}:uverbs_destroy_uobject", revisions=RUN_BY)
def uverbs_destroy_uobject(uobj, reason: int, destroy_object) -> int:
    """Destroy the HW object (abort: undo the begin), clear ``context``, unlock, drop the
    list's reference and, on abort, the allocation's."""
    if reason == RDMA_REMOVE_ABORT:
        WARN_ON(uobj.on_list, "uverbs_destroy_uobject: an aborted uobject is on the list")
        WARN_ON(uobj.context is None, "uverbs_destroy_uobject: abort of a uobject without context")
        alloc_abort_fd_uobject(uobj)
    elif uobj.object is not None:
        ret = destroy_hw_fd_uobject(uobj, reason, destroy_object)
        if ret:
            return ret
        uobj.object = None
    uobj.context = None
    if reason != RDMA_REMOVE_DESTROY:
        uobj.usecnt = 0
    if uobj.on_list:
        ufile = uobj.ufile
        ufile.uobjects.remove(uobj)
        uobj.on_list = False
        uverbs_uobject_put(uobj)
    if reason == RDMA_REMOVE_ABORT:
        uverbs_uobject_put(uobj)
    return 0


@mirrors(f"{_PIN}:alloc_commit_fd_uobject", revisions=RUN_BY)
def alloc_commit_fd_uobject(uobj) -> None:
    """Take a uverbs-file reference for the fd and install the file.  The dma-buf's file
    already has private_data (the dma_buf), so the uobject is not stored in it."""
    kref_get(uobj.ufile.ref)
    uobj.id = 0


@mirrors(f"{_PIN}:rdma_alloc_commit_uobject", revisions=RUN_BY)
def rdma_alloc_commit_uobject(uobj) -> None:
    """A second kref for the uverbs file's list, unlock, then the class commit."""
    kref_get(uobj.ref)
    uobj.ufile.uobjects.append(uobj)
    uobj.on_list = True
    uobj.usecnt = 0
    alloc_commit_fd_uobject(uobj)


@mirrors(f"{_PIN}:rdma_alloc_abort_uobject", revisions=RUN_BY)
def rdma_alloc_abort_uobject(uobj, hw_obj_valid: bool, destroy_object) -> None:
    """The handler failed: destroy the HW object if it says one exists, then abort."""
    if hw_obj_valid:
        destroy_hw_fd_uobject(uobj, RDMA_REMOVE_ABORT, destroy_object)
    uverbs_destroy_uobject(uobj, RDMA_REMOVE_ABORT, destroy_object)


@mirrors(f"{_PIN}:uverbs_uobject_release", revisions=RUN_BY)
def uverbs_uobject_release(uobj, destroy_object) -> int:
    """The object's file is going away: destroy it (CLOSE), drop the fd's uverbs-file
    reference and the file's reference on the uobject."""
    WARN_ON(uverbs_try_lock_object(uobj, UVERBS_LOOKUP_WRITE) != 0,
            "uverbs_uobject_release: the uobject is locked")
    uverbs_destroy_uobject(uobj, RDMA_REMOVE_CLOSE, destroy_object)
    kref_put(uobj.ufile.ref, ib_uverbs_release_file)
    uverbs_uobject_put(uobj)
    return 0


@mirrors(f"{_PIN}:__uverbs_cleanup_ufile", revisions=RUN_BY)
def uverbs_cleanup_ufile(ufile, reason: int, destroy_object) -> None:
    """Destroy every uobject still on the uverbs file's list (the ucontext goes away:
    close of the uverbs fd, or the device is removed)."""
    for uobj in list(ufile.uobjects):
        WARN_ON(uverbs_try_lock_object(uobj, UVERBS_LOOKUP_WRITE) != 0,
                "__uverbs_cleanup_ufile: racing with a lookup")
        uverbs_destroy_uobject(uobj, reason, destroy_object)


def _new_ufile():
    """A uverbs file with its first reference (the open fd); None when the allocation fails."""
    ufile = kzalloc(ib_uverbs_file)
    if ufile is None:
        return None
    ufile.ref.container = ufile
    kref_init(ufile.ref)
    return ufile
