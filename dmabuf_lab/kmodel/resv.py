"""The reservation lock (drivers/dma-buf/dma-resv.c, a ww_mutex), a spinlock,
might_sleep() and WARN_ON(), with lockdep-style checks recorded as findings.

In a single-thread run a lock is either free or held by the running path,
so taking a held lock again is a self-deadlock (``lock`` finding) and
unlocking a free one is a ``lock`` finding too.  Locks still held when the
run ends are reported by the Kernel.  In a concurrent run
(:mod:`.sched`) taking a lock another thread holds blocks until it is
dropped, every take and drop is a point where another thread may run, and
an assertion checks that the *running* thread holds the lock.
"""
from __future__ import annotations

from .errno import EALREADY
from .lockdep import lock_acquire, lock_release
from .runtime import call_site, current_kernel, kernel_chain
from .sched import current_scheduler


class ww_acquire_ctx:
    """A wound/wait acquire context: the set of resv locks one transaction holds."""

    def __init__(self, name: str = "ctx"):
        self.name = name
        self.held: list = []

    def __repr__(self):
        return f"ww_acquire_ctx({self.name!r})"


def ww_acquire_init(ctx: ww_acquire_ctx | None = None, name: str = "ctx") -> ww_acquire_ctx:
    """Start an acquire context (returns a fresh one when none is given)."""
    return ctx if ctx is not None else ww_acquire_ctx(name)


def ww_acquire_fini(ctx: ww_acquire_ctx) -> None:
    """End an acquire context; finishing while still holding locks is a ``lock`` finding."""
    if ctx.held:
        current_kernel().record("lock", f"ww_acquire_fini({ctx!r}) with {len(ctx.held)} lock(s) still held")


class dma_resv:
    """A reservation object: its ww_mutex lock state (fences are not modelled here)."""

    #: every reservation lock is of one lockdep class (reservation_ww_class)
    default_lock_class = "reservation_ww_class_mutex"

    def __init__(self, name: str = "resv"):
        self.name = name
        self.locked = False
        self.ctx: ww_acquire_ctx | None = None
        self.lock_site: str | None = None
        self.kernel = None
        self.owner = None          # the model thread holding it (concurrent runs)
        self.fences: list = []     # dma_fence objects added with dma_resv_add_fence()

    def __repr__(self):
        return f"dma_resv({self.name!r})"


def dma_resv_init(obj: dma_resv) -> None:
    """Initialise a reservation object to unlocked."""
    obj.locked, obj.ctx, obj.lock_site, obj.kernel = False, None, None, None


def dma_resv_fini(obj: dma_resv) -> None:
    """Tear down a reservation object; doing so while it is locked is a ``lock`` finding."""
    if obj.locked:
        current_kernel().record("lock", f"dma_resv_fini({obj!r}) while locked (taken at {obj.lock_site})")


def _take(obj: dma_resv, ctx, site, trylock: bool = False):
    k = current_kernel()
    obj.locked, obj.ctx, obj.lock_site, obj.kernel = True, ctx, site, k
    obj.lock_chain = kernel_chain()
    s = current_scheduler()
    if s is not None:
        obj.owner = s.current()
        s.note_acquire(s.key(obj))
    k.held_locks.append(obj)
    if ctx is not None:
        ctx.held.append(obj)
    lock_acquire(obj, trylock)


def dma_resv_lock(obj: dma_resv, ctx: ww_acquire_ctx | None = None) -> int:
    """Take the reservation lock; may sleep.  Returns 0, or -EALREADY when
    ``ctx`` already holds it (as ww_mutex_lock does).  Taking it again
    without that context is a self-deadlock: ``lock`` finding, returns 0."""
    site = call_site()
    might_sleep(site=site)
    s = current_scheduler()
    if s is not None and s.current() is not None and not (obj.locked and obj.owner is s.current()):
        k = s.key(obj)
        s.point("lock", k, True, f"dma_resv_lock({s.name_of(k)})", ready=lambda: not obj.locked,
                waits_for=lambda: [obj.owner.tid] if obj.owner is not None else [])
    if obj.locked:
        if ctx is not None and obj.ctx is ctx:
            return -EALREADY
        current_kernel().record("lock", f"recursive dma_resv_lock({obj!r}): already taken at "
                                        f"{obj.lock_site} (deadlock)", site)
        return 0
    _take(obj, ctx, site)
    return 0


def dma_resv_lock_interruptible(obj: dma_resv, ctx: ww_acquire_ctx | None = None) -> int:
    """dma_resv_lock() that a signal could interrupt (never, in the model)."""
    return dma_resv_lock(obj, ctx)


def dma_resv_trylock(obj: dma_resv) -> bool:
    """Take the lock if it is free; never sleeps."""
    if obj.locked:
        return False
    _take(obj, None, call_site(), trylock=True)
    return True


def dma_resv_unlock(obj: dma_resv) -> None:
    """Release the reservation lock; unlocking a free lock is a ``lock`` finding."""
    k = current_kernel()
    s = current_scheduler()
    if s is not None and obj.locked:
        key = s.key(obj)
        s.point("unlock", key, True, f"dma_resv_unlock({s.name_of(key)})")
        s.note_release(key)
    if not obj.locked:
        k.record("lock", f"dma_resv_unlock({obj!r}) of a lock that is not held")
        return
    owner = obj.kernel or k
    if obj in owner.held_locks:
        owner.held_locks.remove(obj)
    if obj.ctx is not None and obj in obj.ctx.held:
        obj.ctx.held.remove(obj)
    obj.locked, obj.ctx, obj.lock_site, obj.kernel, obj.owner = False, None, None, None, None
    lock_release(obj)


def dma_resv_held(obj: dma_resv) -> bool:
    """True when the reservation lock is held."""
    return obj.locked


def dma_resv_assert_held(obj: dma_resv) -> None:
    """lockdep_assert_held(): a ``lock`` finding when the lock is not held
    (in a concurrent run: not held by the running thread)."""
    if not obj.locked:
        current_kernel().record("lock", f"dma_resv_assert_held({obj!r}) failed: lock not held")
        return
    s = current_scheduler()
    if s is not None and s.current() is not None and obj.owner is not s.current():
        current_kernel().record("lock", f"dma_resv_assert_held({obj!r}) failed: held by another thread")


class spinlock_t:
    """A spinlock: holding one makes the path atomic (no sleeping)."""

    def __init__(self, name: str = "lock"):
        self.name = name
        self.locked = False
        self.lock_site: str | None = None
        self.kernel = None

    def __repr__(self):
        return f"spinlock_t({self.name!r})"


def spin_lock_init(lock: spinlock_t) -> None:
    """Initialise a spinlock to unlocked."""
    lock.locked, lock.lock_site, lock.kernel = False, None, None


def spin_lock(lock: spinlock_t) -> None:
    """Take a spinlock; taking a held one is a ``lock`` finding (it would spin forever)."""
    k = current_kernel()
    site = call_site()
    if lock.locked:
        k.record("lock", f"recursive spin_lock({lock!r}): already taken at {lock.lock_site} (deadlock)", site)
        return
    lock.locked, lock.lock_site, lock.kernel = True, site, k
    lock.lock_chain = kernel_chain()
    k.held_locks.append(lock)
    k.atomic_depth += 1


def spin_unlock(lock: spinlock_t) -> None:
    """Release a spinlock; releasing a free one is a ``lock`` finding."""
    k = current_kernel()
    if not lock.locked:
        k.record("lock", f"spin_unlock({lock!r}) of a lock that is not held")
        return
    owner = lock.kernel or k
    if lock in owner.held_locks:
        owner.held_locks.remove(lock)
    owner.atomic_depth = max(0, owner.atomic_depth - 1)
    lock.locked, lock.lock_site, lock.kernel = False, None, None


def assert_spin_locked(lock: spinlock_t) -> None:
    """A ``lock`` finding when the spinlock is not held."""
    if not lock.locked:
        current_kernel().record("lock", f"assert_spin_locked({lock!r}) failed: lock not held")


def might_sleep(site: str | None = None) -> None:
    """A ``warn`` finding ("sleeping function called from invalid context")
    when called with a spinlock held."""
    k = current_kernel()
    if k.in_atomic:
        held = ", ".join(repr(l) for l in k.held_locks if isinstance(l, spinlock_t))
        k.record("warn", f"BUG: sleeping function called from invalid context (holding {held})",
                 site if site is not None else call_site())


def WARN(condition, fmt: str = "", *args) -> bool:
    """Record a ``warn`` finding with ``fmt % args`` when ``condition`` holds; return it as bool."""
    cond = bool(condition)
    if cond:
        msg = (fmt % args) if args else fmt
        current_kernel().record("warn", msg or "WARN", call_site())
    return cond


def WARN_ON(condition, msg: str = "") -> bool:
    """Record a ``warn`` finding when ``condition`` holds; return ``bool(condition)``."""
    cond = bool(condition)
    if cond:
        current_kernel().record("warn", msg or "WARN_ON", call_site())
    return cond


def WARN_ON_ONCE(condition, msg: str = "") -> bool:
    """WARN_ON() that reports only the first time per call site in a run;
    still returns ``bool(condition)`` every time."""
    cond = bool(condition)
    if cond:
        site = call_site()
        k = current_kernel()
        if k.once(("WARN_ON_ONCE", site)):
            k.record("warn", msg or "WARN_ON_ONCE", site)
    return cond
