"""The registry of defects the lab reports (``data/findings.toml``).

Each entry says where the defect lives (mainline or a revision, and the
kernel component), the function and file, the code the model follows, what
goes wrong, how to trigger it, what the lab observed, the scenarios and unit
tests that show it, the revision variant that fixes it, and the upstream
status: still present in the newest source found, fixed by a commit, or a
posting that was never merged; and who reported it first.

:func:`load_findings` validates every field and names the file, the entry
and the field when one is wrong.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.paths import data_dir

#: What `kind` may be: a kmodel finding kind, or a verdict outcome.
OUTCOME_KINDS = ("crash", "error")
UPSTREAM = {"present": "still present in the newest source found",
            "fixed": "fixed upstream",
            "not-merged": "posting, never merged"}
REPORTED = {"lab": "found only by the lab",
            "reviewer": "reported by a reviewer",
            "upstream-fix": "fixed upstream, found again by the lab"}
COMPONENTS = ("dma-buf core", "vfio-pci", "nvgrace-gpu", "xe", "iommufd", "kvm", "rdma")

_REQUIRED = ("id", "title", "where", "component", "function", "file", "code", "kind", "what",
             "trigger", "observed", "variant", "upstream", "upstream_detail", "reported", "report",
             "source", "reproducer")
_OPTIONAL = {"scenarios": list, "tests": list, "also_in": list, "fixed_by": str, "config": str,
             "message_id": str, "lines": str, "lines_at": str, "focus": str}
_LINES = re.compile(r"^[1-9][0-9]*-[1-9][0-9]*$")
_LINES_AT = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+@[0-9a-f]{12,40}$")
#: Phrases that already say the upstream state, so the status line does not say it twice.
_SAYS_STATE = ("still present", "fixed upstream", "not merged", "newest source", "never merged")


class FindingsError(LabInputError):
    """``data/findings.toml`` has an entry the lab cannot use."""


@dataclass(frozen=True)
class Finding:
    """One defect the lab reports (see the module docstring for the fields)."""

    id: str
    title: str
    where: str
    component: str
    function: str
    file: str
    code: str
    kind: str
    what: str
    trigger: str
    observed: str
    variant: str
    upstream: str
    upstream_detail: str
    reported: str
    report: str
    source: str
    reproducer: str
    scenarios: tuple = ()
    tests: tuple = ()
    also_in: tuple = ()
    fixed_by: str = ""
    config: str = ""
    message_id: str = ""
    lines: str = ""
    lines_at: str = ""
    focus: str = ""
    #: the release that first carries ``fixed_by`` and its CVE, from the release data
    fixed_in: str = ""
    cve: str = ""

    @property
    def group(self) -> str:
        """Where it lives, as a heading: ``mainline / dma-buf core``."""
        return f"{self.where} / {self.component}"

    @property
    def fixed_text(self) -> str:
        """``fixed by <commit>``, with the release that first has it and its CVE when known."""
        text = f"fixed by {self.fixed_by}"
        if self.fixed_in:
            text += f" in {self.fixed_in}"
        return text + (f", {self.cve}" if self.cve else "")

    @property
    def status(self) -> str:
        """Upstream state and who found it, in one line; a defect present in a mainline
        release names that release."""
        up = self.fixed_text if self.upstream == "fixed" else UPSTREAM[self.upstream]
        if self.upstream == "present" and self.where.startswith("mainline-"):
            up += f" ({self.where})"
        return f"{up}; {REPORTED[self.reported]}"

    @property
    def status_line(self) -> str:
        """The upstream state, its detail and the report, said once each."""
        detail = self.upstream_detail
        if not any(k in detail.lower() for k in _SAYS_STATE):
            up = self.fixed_text if self.upstream == "fixed" else UPSTREAM[self.upstream]
            detail = f"{up}: {detail}"
        return f"{detail}; {self.report}"

    @property
    def location(self) -> str:
        """Function, file and line range at the commit read, or "lines unknown"."""
        where = f"{self.function}() in {self.file}"
        if not self.lines:
            return where + ", lines unknown"
        repo, commit = self.lines_at.split("@")
        return (f"{where}, lines {self.lines} at {repo} {commit[:12]}"
                + (f" (line {self.focus})" if self.focus else ""))

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k in ("scenarios", "tests", "also_in"):
            out[k] = list(out[k])
        out["status"] = self.status
        out["status_line"] = self.status_line
        out["location"] = self.location
        return out


def findings_path() -> Path:
    return data_dir() / "findings.toml"


#: A scenario a finding names: a file of the repository's litmus/ directory.
_SCENARIO_PATH = re.compile(r"litmus/[A-Za-z0-9_][A-Za-z0-9_.-]*\.toml")
#: The registry is a few dozen entries; anything much bigger is not it.
MAX_FINDINGS_BYTES = 4 << 20
FINDINGS_WHAT = "the TOML findings registry ([[finding]] tables)"


def _short(value) -> str:
    from dmabuf_lab.input_file import shown

    return shown(value)


def _fail(path: Path, where: str, msg: str) -> None:
    raise FindingsError(f"{path}: {where}: {msg}")


def load_findings(path: Path | None = None) -> list[Finding]:
    """Every finding of ``path`` (default ``data/findings.toml``), validated, in file order."""
    from dmabuf_lab.kmodel.runtime import FINDING_KINDS
    from dmabuf_lab.revisions import REVISIONS, split_target

    from dmabuf_lab.input_file import read_toml

    path = Path(path) if path else findings_path()
    _, raw = read_toml(path, MAX_FINDINGS_BYTES, FINDINGS_WHAT, FindingsError)
    unknown_top = sorted(set(raw) - {"finding"})
    if unknown_top:
        _fail(path, "top level", f"unknown key(s) {_short(unknown_top)}; expected only [[finding]] tables")
    entries = raw.get("finding")
    if not isinstance(entries, list) or not entries:
        _fail(path, "top level", "expected one or more [[finding]] tables")
    out, seen, changes = [], set(), []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            _fail(path, f"[[finding]] #{n}", f"expected a [[finding]] table, got {_short(entry)}")
        ident = entry.get("id", "no id")
        where = f"[[finding]] #{n} ({ident if isinstance(ident, str) else _short(ident)})"
        unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
        if unknown:
            _fail(path, where, f"unknown field(s) {sorted(unknown)}")
        for key in _REQUIRED:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                got = f", got {_short(entry[key])}" if key in entry else " (missing)"
                _fail(path, where, f"field {key!r} must be a non-empty string{got}")
        values = {k: " ".join(entry[k].split()) if k in ("what", "trigger", "observed") else entry[k].strip()
                  for k in _REQUIRED}
        for key, typ in _OPTIONAL.items():
            val = entry.get(key, typ())
            if not isinstance(val, typ) or (typ is list and not all(isinstance(x, str) for x in val)):
                _fail(path, where, f"field {key!r} must be a {'list of strings' if typ is list else 'string'}, "
                                   f"got {_short(val)}")
            values[key] = tuple(val) if typ is list else val
        for scenario in values["scenarios"]:
            if not _SCENARIO_PATH.fullmatch(scenario):
                _fail(path, where, f"field 'scenarios': {scenario!r}; expected a path litmus/NAME.toml "
                                   "inside the repository")
        if values["id"] in seen:
            _fail(path, where, f"id {values['id']!r} is used twice")
        seen.add(values["id"])
        for key in ("where", *values["also_in"]):
            name = values["where"] if key == "where" else key
            if name not in REVISIONS:
                _fail(path, where, f"{name!r} is not a revision; expected one of {list(REVISIONS)}")
        if values["component"] not in COMPONENTS:
            _fail(path, where, f"component {values['component']!r}; expected one of {COMPONENTS}")
        if values["kind"] not in FINDING_KINDS + OUTCOME_KINDS:
            _fail(path, where, f"kind {values['kind']!r}; expected one of {FINDING_KINDS + OUTCOME_KINDS}")
        if values["upstream"] not in UPSTREAM:
            _fail(path, where, f"upstream {values['upstream']!r}; expected one of {list(UPSTREAM)}")
        if values["reported"] not in REPORTED:
            _fail(path, where, f"reported {values['reported']!r}; expected one of {list(REPORTED)}")
        if values["lines"] and not (_LINES.match(values["lines"]) and _LINES_AT.match(values["lines_at"])):
            _fail(path, where, "lines must be 'FIRST-LAST' with lines_at 'owner/repo@commit' (12+ hex digits)")
        if values["lines_at"] and not values["lines"]:
            _fail(path, where, "lines_at needs lines")
        if values["message_id"] and not re.match(r"^<[^<>\s]+@[^<>\s]+>$", values["message_id"]):
            _fail(path, where, "message_id must be '<local@domain>'")
        if (values["upstream"] == "fixed") != bool(values["fixed_by"]):
            _fail(path, where, "fixed_by is required exactly when upstream = \"fixed\"")
        if len(values["title"]) > 72 or len(values["reproducer"]) > 70:
            _fail(path, where, "title must fit 72 columns and reproducer 70 (the email form indents it)")
        rev, variant = split_target(values["variant"])
        if rev != values["where"] or ":" not in values["variant"]:
            _fail(path, where, f"variant {values['variant']!r} must be '{values['where']}:<variant>'")
        values["fixed_in"], values["cve"] = _release_of(values["fixed_by"], changes)
        out.append(Finding(**values))
    return out


def _release_of(commit: str, changes: list) -> tuple[str, str]:
    """``(first release, CVE)`` of a commit the mainline release data lists, else empty."""
    if not commit:
        return "", ""
    if not changes:
        from dmabuf_lab.revisions.releases import load_releases

        changes.extend(load_releases().changes)
    for c in changes:
        if c.id.startswith(commit) or commit.startswith(c.id):
            return c.first_release, c.cve
    return "", ""


def groups(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings by where they live: the mainline releases newest first, then the
    designs in posting order; within each, by component."""
    from dmabuf_lab.revisions import MAINLINE_RELEASES, REVISIONS

    order = list(reversed(MAINLINE_RELEASES)) + [r for r in REVISIONS if r not in MAINLINE_RELEASES]
    out: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (order.index(f.where), COMPONENTS.index(f.component))):
        out.setdefault(f.group, []).append(f)
    return out


def lives_in(f: Finding, place: str) -> bool:
    """True when ``f`` lives in ``place``: a revision name, or ``mainline`` for any release."""
    if place == "mainline":
        return f.where.startswith("mainline-")
    return f.where == place
