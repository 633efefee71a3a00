"""Every revision of the dma-buf address-exchange design, as an executable model.

``REVISIONS`` lists them in the order they were posted or released.  Each
name maps to a module of this package that sets ``REVISION`` (a
:class:`~dmabuf_lab.revisions.base.Revision`) and models that version's
core code with the kernel's identifiers.  ``ALIASES`` maps a short name to
a revision: plain ``mainline`` is the newest mainline the lab models.
Every function here accepts an alias and answers with the revision's own
name.

Adding a revision
-----------------
1. ``revisions/<module>.py``: a docstring naming the posting (its key in docs/sources.md) and the patch;
   ``REVISION = Revision(name=, module=, title=, date=, source=, patch=,
   bugs={name: line}, modes={name: line})``; the core functions under their
   kernel names.  Where the posted code and a fix differ, branch on
   ``fixed("bug")`` (from :mod:`.base`); alternatives that are not fixes use
   ``mode("name")``.  A NULL dereference is ``deref(ptr, "member")`` (an
   :class:`Oops`, verdict ``crash``); checker findings go through
   ``dmabuf_lab.kmodel.report(kind, message)``; kernel errors are
   ``KernelError`` / ``-errno`` / ``ERR_PTR`` as in the C.
2. ``drivers/<package>/<module>.py`` per driver it can express, defining
   ``make_exporter(session) -> ExporterDriver`` (``export``, ``revoke``,
   ``move``, ``release``) and/or ``make_importer(session) -> ImporterDriver``
   (``attach``, ``map``, ``unmap``, ``detach``, ``teardown``; set ``kind``).
   Raise :class:`CannotExpress` for a setup the revision cannot describe.
   Specs are on ``session.exporter`` / ``session.importer``
   (:class:`ExporterSpec`, :class:`ImporterSpec`, driver options in
   ``.option(key, default)``); the topology is ``session.topology``.
3. Expectations in ``litmus/*.toml`` under ``[expect]`` / ``[findings]``,
   derived from the facts.  ``dmabuf-lab litmus --list`` shows what is wired.

The runner (:func:`dmabuf_lab.litmus.runner.run_once`) needs nothing else.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from dmabuf_lab.revisions.base import (  # noqa: F401  (re-exported)
    CANNOT_EXPRESS, CRASH, DEFAULT_STEPS, FINDING_KINDS, FIXED, MAPPING_KINDS, POSTED,
    SPECIAL_OUTCOMES, STEPS, CannotExpress, ExporterDriver, ExporterSpec, ImporterDriver,
    ImporterSpec, ModelError, Oops, Revision, Session, Verdict, deref,
)

#: Revision name -> module name, in the order they were posted or released.
REVISIONS = {
    "mainline-6.19": "mainline_6_19",                    # Linux 6.19 (2026-02)
    "get-pfn": "get_pfn",                                # 2025-01, Xu Yilun's get_pfn RFC
    "offer-list": "offer_list",                          # 2025-09-26, Thomas Hellström
    "rfc-v1": "rfc_v1",                                  # 2025-10-14, Vivek Kasireddy RFC v1
    "rfc-v2": "rfc_v2",                                  # 2025-10-26, RFC v2
    "mapping-types-2025-10": "mapping_types_2025_10",    # 2025-10-30, Jason Gunthorpe's design
    "mapping-types-2026-02": "mapping_types_2026_02",    # 2026-02-17, "[PATCH RFC 00/26]"
    "mapping-types-2026-03": "mapping_types_2026_03",    # 2026-03-01, the rebased branch
    "mapping-types-2026-05": "mapping_types_2026_05",    # 2026-04/05, the review plan
    "mainline-7.1": "mainline_7_1",                      # Linux 7.1 (2026-06)
    "mainline-7.2": "mainline_7_2",                      # Linux 7.2 (2026-08)
    "mainline-7.3-rc6": "mainline_7_3_rc6",              # Linux v7.3-rc6 (2026-10)
}

#: Short names -> the revision they stand for.
ALIASES = {
    "mainline": "mainline-7.3-rc6",
}

#: Names the lab no longer models, and what to use instead.
RETIRED = {
    "mainline-7.3": "the composite 'mainline-7.3' is split into the releases mainline-6.19, "
                    "mainline-7.1, mainline-7.2 and mainline-7.3-rc6 (alias 'mainline')",
}

REVISION_NAMES = tuple(REVISIONS)

#: The mainline releases the lab models, oldest first.
MAINLINE_RELEASES = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")


def canonical(name: str) -> str:
    """The revision an alias stands for; any other name unchanged."""
    return ALIASES.get(name, name)


def unknown_revision(name: str) -> str:
    """One line saying ``name`` is not a revision: for a retired name, what replaced it;
    otherwise the known revisions and aliases."""
    if name in RETIRED:
        return f"revision {name!r} is retired: {RETIRED[name]}"
    return f"unknown revision {name!r}; known: {', '.join(REVISIONS)}; aliases: {', '.join(ALIASES)}"


def is_known(name: str) -> bool:
    """True for a revision name or an alias."""
    return canonical(name) in REVISIONS

__all__ = [
    "REVISIONS", "REVISION_NAMES", "ALIASES", "RETIRED", "MAINLINE_RELEASES", "unknown_revision", "RevisionNotAvailable",
    "revision_module", "get_revision", "available_revisions", "split_target", "canonical", "is_known",
    # from base: the plug-in API
    "Revision", "Session", "Verdict", "ExporterSpec", "ImporterSpec", "ExporterDriver",
    "ImporterDriver", "CannotExpress", "Oops", "ModelError", "deref", "MAPPING_KINDS",
    "FINDING_KINDS", "SPECIAL_OUTCOMES", "CRASH", "CANNOT_EXPRESS", "STEPS", "DEFAULT_STEPS",
    "POSTED", "FIXED",
]


class RevisionNotAvailable(LookupError):
    """The revision is known but its module is not present in this tree."""


def revision_module(name: str) -> ModuleType:
    """Import and return the module of revision ``name``.

    Raises ``KeyError`` for a name not in REVISIONS and
    :class:`RevisionNotAvailable` when the module is not written yet.
    """
    name = canonical(name)
    mod = REVISIONS[name]
    modname = f"{__name__}.{mod}"
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name == modname:
            raise RevisionNotAvailable(f"revision {name!r}: module {modname} is not present") from None
        raise


def get_revision(name: str) -> Revision:
    """The :class:`Revision` object of ``name`` (see :func:`revision_module`)."""
    return revision_module(name).REVISION


def available_revisions() -> list[str]:
    """Names of the revisions whose modules are present, in posting order."""
    out = []
    for name in REVISIONS:
        try:
            revision_module(name)
        except RevisionNotAvailable:
            continue
        out.append(name)
    return out


def split_target(target: str) -> tuple[str, str]:
    """``"rev:variant"`` -> (rev, variant); a bare name means the posted variant; an
    alias becomes the revision it stands for."""
    rev, _, variant = target.partition(":")
    return canonical(rev), (variant or POSTED)
