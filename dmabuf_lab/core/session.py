"""The modelled run in progress, as the code under test finds it.

The runner makes a run's :class:`~dmabuf_lab.revisions.base.Session` current
for the length of the run; core and driver code that behaves differently per
variant or per kernel config asks :func:`current_session`.  The variable is
a ``contextvars`` one, so model threads each see the run they belong to.
"""
from __future__ import annotations

import contextvars
from typing import Any, Optional

_CURRENT_SESSION: contextvars.ContextVar = contextvars.ContextVar("dmabuf_lab_session", default=None)


def current_session() -> Optional[Any]:
    """The session of the run in progress (None outside the runner).

    Code of a revision that differs between variants asks
    ``current_session().fixed("bug")``; see :func:`dmabuf_lab.revisions.base.fixed`.
    """
    return _CURRENT_SESSION.get()


def enter_session(s) -> contextvars.Token:
    """Make ``s`` current; returns the token for :func:`leave_session` (the runner does this)."""
    return _CURRENT_SESSION.set(s)


def leave_session(token: contextvars.Token) -> None:
    _CURRENT_SESSION.reset(token)
