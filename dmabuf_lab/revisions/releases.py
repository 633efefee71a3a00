"""The mainline release table: which tree each modelled file was read at, per release,
and the commits between 6.19 and v7.3-rc6 that changed a modelled function.

``load_releases()`` reads ``data/mainline_releases.toml`` and checks its shape;
a bad file fails with one line naming the file, the line, the field and what
was expected (:class:`~dmabuf_lab.errors.LabInputError`).  The data is the spec
the per-release revisions are written from; ``docs/mainline-releases.md`` is
its readable form.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from dmabuf_lab.errors import LabInputError

#: Release names in order; each is a patch over the one before it.
RELEASE_ORDER = ("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6")

#: The general checkers a fix may name: refcount, hang and errno plus the kmodel finding kinds.
CHECKER_NAMES = frozenset({
    "leak", "use-after-free", "double-free", "lock", "refcount", "hang", "use-after-revoke", "errno",
    "warn", "uninitialised", "no-mapping", "mistranslation", "unowned-resource",
})

CHANGE_KINDS = ("fix", "behaviour", "rename")
EVIDENCE = ("source", "list", "inferred")

_COMMIT = re.compile(r"^[0-9a-f]{12,40}$")
_READ = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+@[0-9a-f]{12,40}$")
_LITMUS = re.compile(r"^litmus/[A-Za-z0-9_][A-Za-z0-9_.-]*\.toml$")


@dataclass(frozen=True)
class FileState:
    """One file of one release: the tree read, whether it is the tag, and the functions
    (``absent``: the file is not in that release)."""
    path: str
    read: str
    at_tag: bool
    gap: str
    functions: dict[str, str]
    absent: bool = False


@dataclass(frozen=True)
class Release:
    name: str
    tag: str
    tag_object: str
    commit: str
    date: str
    notes: str
    files: tuple[FileState, ...]


@dataclass(frozen=True)
class Change:
    """One commit that changed a modelled function, and who would see what it fixed."""
    id: str
    subject: str
    author: str
    date: str
    message_id: str
    cve: str
    first_release: str
    kind: str
    evidence: str
    defect_in: tuple[str, ...]
    files: tuple[str, ...]
    functions: tuple[str, ...]
    what: str
    scenario_sketch: str
    expressible: bool
    checkers: tuple[str, ...]
    reason: str
    needed: str
    #: litmus files (``litmus/NAME.toml``) that replay the fix, besides ``litmus/fix-<id>-*.toml``
    litmus: tuple[str, ...] = ()
    #: the ``release:variant`` that carries a defect never in a release (else the release before)
    defect_target: str = ""


@dataclass(frozen=True)
class ReleaseTable:
    releases: tuple[Release, ...]
    changes: tuple[Change, ...]

    def release(self, name: str) -> Release:
        for r in self.releases:
            if r.name == name:
                return r
        raise KeyError(name)

    def commit_ids(self) -> set[str]:
        """Every commit id the table names (changes, trees read, tags)."""
        ids = {c.id for c in self.changes}
        for r in self.releases:
            ids.update(x for x in (r.commit, r.tag_object) if x)
            ids.update(f.read.split("@", 1)[1] for f in r.files if f.read)
        return ids


def default_path() -> Path:
    from dmabuf_lab.paths import data_dir
    return data_dir() / "mainline_releases.toml"


class _Where:
    """Finds the line of a value in the source text, for error messages."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def line_of(self, *needles: str) -> int | None:
        start = 0
        for needle in needles:
            if not needle:
                continue
            for n in range(start, len(self.lines)):
                if needle in self.lines[n]:
                    start = n
                    break
            else:
                return start + 1 if start else None
        return start + 1

    def fail(self, field: str, expected: str, *anchors: str):
        raise LabInputError(expected, file=str(self.path), line=self.line_of(*anchors), field=field)


def _str(where: _Where, table: dict, key: str, anchors: tuple, *, empty_ok: bool = True) -> str:
    val = table.get(key)
    if not isinstance(val, str) or (not empty_ok and not val.strip()):
        where.fail(key, "expected a non-empty string" if not empty_ok else "expected a string", *anchors)
    return val


def _strs(where: _Where, table: dict, key: str, anchors: tuple) -> tuple[str, ...]:
    val = table.get(key)
    if not isinstance(val, list) or not all(isinstance(x, str) and x for x in val):
        where.fail(key, "expected a list of non-empty strings", *anchors)
    return tuple(val)


def _file(where: _Where, raw: dict, anchors: tuple) -> FileState:
    path = _str(where, raw, "path", anchors, empty_ok=False)
    anchors = anchors + (f'path = "{path}"',)
    read = _str(where, raw, "read", anchors)
    if read and not _READ.match(read):
        where.fail("read", f"expected 'owner/repo@<12-40 hex>' or '', got {read!r}", *anchors)
    at_tag = raw.get("at_tag")
    if not isinstance(at_tag, bool):
        where.fail("at_tag", "expected true or false", *anchors)
    gap = _str(where, raw, "gap", anchors)
    if not at_tag and not gap.strip():
        where.fail("gap", "a copy not read at the tag needs a gap line saying what differs", *anchors)
    absent = raw.get("absent", False)
    if not isinstance(absent, bool):
        where.fail("absent", "expected true or false", *anchors)
    funcs = raw.get("functions")
    if not isinstance(funcs, dict) or (not funcs and not absent) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in funcs.items()):
        where.fail("functions", "expected a table of function = non-empty state", *anchors)
    if absent and (funcs or read):
        where.fail("absent", "an absent file has no tree read and no functions", *anchors)
    return FileState(path, read, at_tag, gap, dict(funcs), absent)


def _release(where: _Where, raw: dict) -> Release:
    name = raw.get("name")
    anchors = (f'name = "{name}"',)
    if name not in RELEASE_ORDER:
        where.fail("name", f"expected one of {', '.join(RELEASE_ORDER)}, got {name!r}", *anchors)
    tag = _str(where, raw, "tag", anchors, empty_ok=False)
    tag_object = _str(where, raw, "tag_object", anchors)
    commit = _str(where, raw, "commit", anchors)
    for key, val in (("tag_object", tag_object), ("commit", commit)):
        if val and not _COMMIT.match(val):
            where.fail(key, f"expected 12-40 lower-case hex digits or '', got {val!r}", *anchors)
    files = raw.get("file")
    if not isinstance(files, list) or not files:
        where.fail("file", "expected one or more [[release.file]] tables", *anchors)
    states = tuple(_file(where, f, anchors) for f in files)
    paths = [f.path for f in states]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        where.fail("path", f"file listed twice in one release: {dup[0]}", *anchors)
    return Release(name, tag, tag_object, commit, _str(where, raw, "date", anchors, empty_ok=False),
                   _str(where, raw, "notes", anchors), states)


def _change(where: _Where, raw: dict) -> Change:
    cid = raw.get("id")
    anchors = (f'id = "{cid}"',)
    if not isinstance(cid, str) or not _COMMIT.match(cid):
        where.fail("id", f"expected 12-40 lower-case hex digits, got {cid!r}", *anchors)
    first = _str(where, raw, "first_release", anchors, empty_ok=False)
    if first not in RELEASE_ORDER[1:]:
        where.fail("first_release", f"expected one of {', '.join(RELEASE_ORDER[1:])}, got {first!r}", *anchors)
    kind = _str(where, raw, "kind", anchors, empty_ok=False)
    if kind not in CHANGE_KINDS:
        where.fail("kind", f"expected one of {', '.join(CHANGE_KINDS)}, got {kind!r}", *anchors)
    evidence = _str(where, raw, "evidence", anchors, empty_ok=False)
    if evidence not in EVIDENCE:
        where.fail("evidence", f"expected one of {', '.join(EVIDENCE)}, got {evidence!r}", *anchors)
    defect_in = raw.get("defect_in")
    if not isinstance(defect_in, list) or not all(x in RELEASE_ORDER for x in defect_in):
        where.fail("defect_in", f"expected a list of release names from {', '.join(RELEASE_ORDER)}", *anchors)
    if any(RELEASE_ORDER.index(x) >= RELEASE_ORDER.index(first) for x in defect_in):
        where.fail("defect_in", f"a defect can only be in releases before {first}", *anchors)
    if kind == "fix" and not defect_in and "never in a release" not in raw.get("what", ""):
        where.fail("defect_in", "a fix names the releases that carry its defect "
                   "(or says 'never in a release' in what)", *anchors)
    chk = raw.get("checker")
    if not isinstance(chk, dict) or not isinstance(chk.get("expressible"), bool):
        where.fail("checker", "expected a [change.checker] table with expressible = true/false", *anchors)
    expressible = chk["expressible"]
    kinds: tuple[str, ...] = ()
    reason = needed = ""
    if expressible:
        kinds = _strs(where, chk, "kinds", anchors + ("[change.checker]",))
        bad = [k for k in kinds if k not in CHECKER_NAMES]
        if not kinds or bad:
            where.fail("kinds", f"expected checkers from {sorted(CHECKER_NAMES)}, got {list(kinds)}",
                       *anchors, "kinds")
    else:
        reason = _str(where, chk, "reason", anchors + ("[change.checker]",), empty_ok=False)
        needed = chk.get("needed", "")
        if not isinstance(needed, str):
            where.fail("needed", "expected a string", *anchors)
    litmus = raw.get("litmus", [])
    if not isinstance(litmus, list) or not all(isinstance(x, str) and _LITMUS.match(x) for x in litmus):
        where.fail("litmus", "expected a list of scenario paths 'litmus/NAME.toml'", *anchors, "litmus")
    defect_target = raw.get("defect_target", "")
    if not isinstance(defect_target, str) or (defect_target and (
            defect_target.partition(":")[0] not in RELEASE_ORDER or not defect_target.partition(":")[2])):
        where.fail("defect_target", f"expected 'release:variant' with a release from {', '.join(RELEASE_ORDER)}",
                   *anchors, "defect_target")
    return Change(
        id=cid, subject=_str(where, raw, "subject", anchors, empty_ok=False),
        author=_str(where, raw, "author", anchors, empty_ok=False),
        date=_str(where, raw, "date", anchors, empty_ok=False),
        message_id=_str(where, raw, "message_id", anchors), cve=_str(where, raw, "cve", anchors),
        first_release=first, kind=kind, evidence=evidence, defect_in=tuple(defect_in),
        files=_strs(where, raw, "files", anchors), functions=_strs(where, raw, "functions", anchors),
        what=_str(where, raw, "what", anchors, empty_ok=False),
        scenario_sketch=_str(where, raw, "scenario_sketch", anchors, empty_ok=False),
        expressible=expressible, checkers=kinds, reason=reason, needed=needed,
        litmus=tuple(litmus), defect_target=defect_target)


def load_releases(path: Path | str | None = None) -> ReleaseTable:
    """The release table of ``path`` (default ``data/mainline_releases.toml``), validated."""
    path = Path(path) if path else default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabInputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
        raise LabInputError(f"not valid TOML: {exc}", file=str(path), line=line) from None
    where = _Where(path, text)
    if raw.get("schema") != 1:
        where.fail("schema", "expected schema = 1", "schema")
    releases = raw.get("release")
    if not isinstance(releases, list) or not releases:
        where.fail("release", "expected one or more [[release]] tables")
    rels = tuple(_release(where, r) for r in releases)
    names = [r.name for r in rels]
    if names != [n for n in RELEASE_ORDER if n in names] or len(set(names)) != len(names):
        where.fail("name", f"releases must appear once each, in the order {', '.join(RELEASE_ORDER)}",
                   "[[release]]")
    changes = raw.get("change")
    if not isinstance(changes, list) or not changes:
        where.fail("change", "expected one or more [[change]] tables")
    chs = tuple(_change(where, c) for c in changes)
    ids = [c.id for c in chs]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        where.fail("id", f"commit listed twice: {dup[0]}", f'id = "{dup[0]}"')
    for c in chs:
        if c.first_release not in names:
            where.fail("first_release", f"names a release the file does not describe: {c.first_release}",
                       f'id = "{c.id}"')
    return ReleaseTable(rels, chs)


def files_read_at(name: str, table: ReleaseTable | None = None) -> list[tuple[str, str]]:
    """(file path, where it was read) for each file of release ``name``: ``owner/repo@commit``,
    or ``not read`` / ``absent``.  KeyError for a name that is not a release."""
    table = table if table is not None else load_releases()
    return [(f.path, f.read or ("absent" if f.absent else "not read")) for f in table.release(name).files]


def render_markdown(table: ReleaseTable) -> str:
    """The per-release tables, the fix table and the scenario sketches as
    Markdown: the generated middle of ``docs/mainline-releases.md``."""
    def short(path: str) -> str:
        return path.removeprefix("drivers/")

    out = ["## The releases", ""]
    for r in table.releases:
        head = r.tag
        if r.tag_object or r.commit:
            parts = [f"tag object {r.tag_object}"] if r.tag_object else []
            parts += [f"commit {r.commit}"] if r.commit else []
            head += f" ({', '.join(parts)})"
        out += [f"### Release {r.name}: {head}, {r.date}", "", r.notes, "",
                "| file | read at | at the tag? | gap |", "|---|---|---|---|"]
        for f in r.files:
            read = f"`{f.read}`" if f.read else ("absent" if f.absent else "not read")
            out.append(f"| `{short(f.path)}` | {read} | {'yes' if f.at_tag else 'no'} | {f.gap} |")
        out += ["", "Modelled functions in this release:", ""]
        for f in r.files:
            out += [f"- `{fn}` ({short(f.path).split('/')[-1]}): {st}" for fn, st in f.functions.items()]
        out.append("")
    out += ["## The fixes, and the checker that sees each", "",
            "| commit | subject | first in | defect in | checker |", "|---|---|---|---|---|"]
    for c in table.changes:
        if c.expressible:
            chk = ", ".join(c.checkers)
        else:
            chk = f"not expressible: {c.reason}" + (f" (needs: {c.needed})" if c.needed else "")
        out.append(f"| {c.id} | {c.subject} | {c.first_release} | {', '.join(c.defect_in) or '-'} | {chk} |")
    out += ["", "## Scenario sketches", ""]
    for c in table.changes:
        who = "; ".join(x for x in (c.author, c.date, c.message_id, c.cve) if x)
        out += [f"### {c.id} {c.subject}", "", f"{who}. Kind: {c.kind}; evidence: {c.evidence}.", "",
                f"What changes: {c.what}", "", f"Scenario: {c.scenario_sketch}", ""]
    return "\n".join(out)
