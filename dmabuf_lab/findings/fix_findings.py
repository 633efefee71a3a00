"""The fixes the fix history finds, as findings of the release before them.

A change that :func:`~dmabuf_lab.findings.fix_history.fix_history` classes
``found`` is a defect the lab's general checkers see in a mainline release
and no longer see in the release that first has the fix.  When
``data/findings.toml`` already describes it (an entry whose ``fixed_by`` is
the commit), that entry is the finding; otherwise :func:`fix_finding`
writes one from the release data and the replay: where the defect lives,
what the commit changed, what the lab observed before and after, the
upstream status (commit, release, CVE) and the command that reproduces it.
"""
from __future__ import annotations

from dmabuf_lab.findings.fix_history import FOUND, FixRow
from dmabuf_lab.findings.registry import Finding

#: Kernel path prefix -> the component a finding is grouped under.
_COMPONENTS = (("drivers/dma-buf/", "dma-buf core"), ("drivers/vfio/pci/nvgrace-gpu/", "nvgrace-gpu"),
               ("drivers/vfio/", "vfio-pci"), ("drivers/gpu/drm/xe/", "xe"), ("drivers/iommu/iommufd/", "iommufd"),
               ("drivers/infiniband/", "rdma"), ("virt/kvm/", "kvm"))
#: Checker -> the finding kind the registry files it under.
_KIND = {"refcount": "warn", "hang": "lock", "errno": "error"}


def _component(path: str) -> str:
    return next((name for prefix, name in _COMPONENTS if path.startswith(prefix)), "dma-buf core")


def _fit(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[:width - 1] + "~"


def finding_id(commit: str) -> str:
    """The id a generated finding of ``commit`` goes by."""
    return f"fixed-{commit[:12]}"


def fix_finding(row: FixRow) -> Finding:
    """The finding of one ``found`` row (see the module docstring)."""
    if row.status != FOUND:
        raise ValueError(f"{row.id}: only a found fix is a finding, this one is {row.status!r}")
    c = row.change
    rep = row.showing[0]
    where = row.before.partition(":")[0]
    checker = rep.shown[0]
    from dmabuf_lab.litmus.scenario import load_scenario
    from dmabuf_lab.litmus.scenario import default_litmus_dir

    question = load_scenario(default_litmus_dir().parent / rep.scenario).question
    observed = "; ".join(f"{r.before.text()}, then {r.after.text()} ({r.scenario})" for r in row.showing)
    detail = f"fixed upstream by {c.id} \"{c.subject}\" in {c.first_release}"
    if c.cve:
        detail += f", {c.cve}"
    return Finding(
        id=finding_id(c.id), title=_fit(f"{where}: {c.subject}"), where=where,
        component=_component(c.files[0]), function=c.functions[0], file=c.files[0],
        code=f"{row.before} as modelled, before {c.id}", kind=_KIND.get(checker, checker),
        what=c.what, trigger=question, observed=observed, variant=row.after, upstream="fixed",
        upstream_detail=detail, reported="upstream-fix",
        report="the lab replays the release before and the release after the fix",
        source="mainline-releases", reproducer=f"dmabuf-lab litmus {rep.scenario} -v",
        scenarios=tuple(r.scenario for r in row.showing), message_id=c.message_id,
        fixed_by=c.id, fixed_in=c.first_release, cve=c.cve)


def fix_findings(rows: list[FixRow], registry: list[Finding]) -> list[Finding]:
    """One finding per found fix that ``registry`` does not already describe."""
    described = {f.fixed_by[:12] for f in registry if f.fixed_by}
    return [fix_finding(r) for r in rows if r.status == FOUND and r.id[:12] not in described]


def found_fixes(rows: list[FixRow], registry: list[Finding]) -> dict[str, str]:
    """Commit -> the id of the finding that stands for it, for every found fix."""
    by_commit = {f.fixed_by[:12]: f.id for f in registry if f.fixed_by}
    return {r.id: by_commit.get(r.id[:12], finding_id(r.id)) for r in rows if r.status == FOUND}


def all_findings(rows=None) -> list[Finding]:
    """The registry's findings, then one per found fix the registry does not describe
    (``rows``: a fix history already made, else one is made here)."""
    from dmabuf_lab.findings.fix_history import fix_history
    from dmabuf_lab.findings.registry import load_findings

    registry = load_findings()
    return registry + fix_findings(fix_history() if rows is None else rows, registry)


__all__ = ["fix_finding", "fix_findings", "found_fixes", "finding_id", "all_findings"]
