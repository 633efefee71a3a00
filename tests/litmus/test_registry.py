"""The revision and driver registries."""
from __future__ import annotations

from pathlib import Path

from dmabuf_lab.drivers.registry import DRIVERS, expressible, pairs
from dmabuf_lab.hw import load_topology
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.revisions import REVISIONS, available_revisions, get_revision
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec

SOURCES = Path(__file__).resolve().parents[2] / "docs" / "sources.md"


def test_revision_order():
    assert list(REVISIONS) == ["mainline-6.19", "get-pfn", "offer-list", "rfc-v1", "rfc-v2",
                               "mapping-types-2025-10", "mapping-types-2026-02", "mapping-types-2026-03",
                               "mapping-types-2026-05", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"]


def test_mainline_alias_is_the_newest_mainline():
    from dmabuf_lab.revisions import ALIASES, MAINLINE_RELEASES, canonical, get_revision, split_target
    assert ALIASES["mainline"] == MAINLINE_RELEASES[-1] == "mainline-7.3-rc6"
    assert canonical("mainline") == "mainline-7.3-rc6" and canonical("rfc-v1") == "rfc-v1"
    assert split_target("mainline:fixed") == ("mainline-7.3-rc6", "fixed")
    assert get_revision("mainline").name == "mainline-7.3-rc6"
    assert get_revision("mainline-6.19").name == "mainline-6.19"


def test_revision_modules_name_their_source():
    for name in available_revisions():
        rev = get_revision(name)
        assert rev.name == name and REVISIONS[name] == rev.module
        assert rev.patch
        doc = __import__(f"dmabuf_lab.revisions.{rev.module}", fromlist=["x"]).__doc__
        assert rev.source and f"[{rev.source}]" in doc
        assert f"### [{rev.source}]" in SOURCES.read_text(encoding="utf-8")


def test_cannot_express_is_not_an_error():
    # mapping-types-2026-02 posted no private-link type: a peer GPU importer has no module there.
    assert not expressible("peer-gpu", "importer", "mapping-types-2026-02")
    assert ("system", "peer-gpu") not in pairs("mapping-types-2026-02")
    v = run_once(load_topology("xe-sriov-8vf"), ExporterSpec("system", ranges=((0, 4096),)),
                 ImporterSpec("peer-gpu", "0000:03:00.0"), revision="mapping-types-2026-02")
    assert v.outcome == "cannot-express"
    assert v.findings == []


def test_every_driver_has_a_package():
    for info in DRIVERS.values():
        assert (Path(__file__).resolve().parents[2] / "dmabuf_lab" / "drivers" / info.package).is_dir()


def test_a_python_error_in_a_driver_is_a_model_error_not_a_verdict(monkeypatch):
    from dmabuf_lab.drivers import registry
    from dmabuf_lab.revisions.base import ImporterDriver

    class Broken(ImporterDriver):
        def attach(self, dmabuf):
            return 1 // 0

    monkeypatch.setattr(registry, "make_importer", lambda s: Broken(s))
    v = run_once(load_topology("xe-sriov-8vf"), ExporterSpec("system", ranges=((0, 4096),)),
                 ImporterSpec("legacy", "0000:04:00.0"), revision="mainline")
    assert v.outcome == "model-error"
    assert "ZeroDivisionError" in v.detail
    assert v.step == "attach"


def test_variants_select_fixes():
    rev = get_revision("mapping-types-2026-02")
    assert rev.variants[:2] == ("posted", "fixed")
    assert "fix-xe-match-len" in rev.variants
    topo = load_topology("xe-sriov-8vf")
    exp = ExporterSpec("system", ranges=((0, 4096),))
    imp = ImporterSpec("legacy", "0000:04:00.0", False, {"attach_via": "dynamic-null-ops"})
    # docs/sources.md mapping-types-2026-02: the dynamic-attach wrapper dereferences importer_ops without a NULL check.
    assert run_once(topo, exp, imp, revision="mapping-types-2026-02").outcome == "crash"
    assert run_once(load_topology("xe-sriov-8vf"), exp, imp,
                    revision="mapping-types-2026-02:fix-dynamic-attach-null-ops").outcome == "sgt"
