"""Every function the litmus scenarios run in a twin package is pinned or allowed.

"Modelled path" is mechanical (dmabuf_lab.twin_index.modelled): every scenario
of litmus/ under every revision it names, run under a profile hook.  A
function found there must carry @mirrors or match the one allow-list, and
the index must name every revision that ran it.
"""
from __future__ import annotations

import importlib.util
import textwrap

import pytest

from dmabuf_lab.twin_index import allow
from dmabuf_lab.twin_index.modelled import collect, declared_keys, modelled_functions, undeclared
from dmabuf_lab.twin_index.table import all_decls, decl_revisions


@pytest.fixture(scope="module")
def called():
    return modelled_functions()


def test_the_hook_sees_the_twins_the_scenarios_run(called):
    names = {c.name for c in called}
    # functions the mainline leak scenario cannot run without
    for name in ("dmabuf_lab.linux.drivers.dma_buf.dma_buf_mapping.common:dma_buf_phys_vec_to_sgt",
                 "dmabuf_lab.linux.drivers.dma_buf.dma_buf.mainline_6_19:dma_buf_map_attachment",
                 "dmabuf_lab.addr.lib_scatterlist:sg_free_table"):
        assert name in names
    assert not any(c.module.startswith("dmabuf_lab.litmus") for c in called)


def test_every_modelled_function_is_declared_or_allowed(called):
    missing = undeclared(called)
    assert not missing, "functions on a modelled path with no @mirrors and no allow-list entry:\n" + \
        "\n".join(f"  {c.file}:{c.line} {c.qualname}" for c in missing)


def test_the_index_names_every_revision_that_runs_a_twin(called):
    by_key: dict = {}
    for d in all_decls():
        by_key.setdefault((d.file, d.line), set()).update(decl_revisions(d))
    gaps = []
    for c, revs in sorted(called.items()):
        named = by_key.get((c.file, c.line))
        if named is None:
            continue
        missing = set(revs) - {"-"} - named
        if missing:
            gaps.append(f"  {c.name}: run by {sorted(missing)}, not named in its @mirrors")
    assert not gaps, "\n".join(gaps)


def test_every_allow_entry_has_a_reason_and_is_used(called):
    names = [c.name for c in called]
    keys = declared_keys()
    undeclared_names = [c.name for c in called if (c.file, c.line) not in keys]
    unused = []
    for pattern, reason in allow.ALLOW:
        assert reason.strip(), pattern
        if not any(allow.fnmatchcase(n, pattern) for n in undeclared_names):
            unused.append(pattern)
    assert names
    assert not unused, f"allow-list entries no modelled function needs: {unused}"


def _fixture_module(tmp_path, body: str):
    """A throw-away module whose file lies under a twin package's path."""
    pkg = tmp_path / "dmabuf_lab" / "core"
    pkg.mkdir(parents=True)
    path = pkg / "fixture_twin.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("dmabuf_lab.core.fixture_twin", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_an_undeclared_function_on_a_modelled_path_fails(tmp_path):
    mod = _fixture_module(tmp_path, '''
        from dmabuf_lab.twins import mirrors

        def dma_buf_frobnicate(x):
            return x + 1

        @mirrors("torvalds/linux@0b9828c7231e:drivers/dma-buf/dma-buf.c:dma_buf_frob")
        def dma_buf_frob(x):
            return dma_buf_frobnicate(x)
        ''')
    try:
        called = collect(lambda: mod.dma_buf_frob(1))
        names = {c.qualname for c in called}
        assert names == {"dma_buf_frob", "dma_buf_frobnicate"}
        assert [c.qualname for c in undeclared(called)] == ["dma_buf_frobnicate"]
    finally:
        from dmabuf_lab.twins import REGISTRY
        REGISTRY[:] = [d for d in REGISTRY if d.module != "dmabuf_lab.core.fixture_twin"]


def test_the_fault_sweep_paths_are_declared_or_allowed_too():
    """Error paths run only when an allocation fails: the fault sweep of every scenario."""
    from dmabuf_lab.litmus.runner import fault_sweep_scenario
    from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario

    def sweep():
        for path in find_scenarios():
            fault_sweep_scenario(load_scenario(path))

    called = collect(sweep)
    assert len(called) > 100
    missing = undeclared(called)
    assert not missing, "functions on a fault path with no @mirrors and no allow-list entry:\n" + \
        "\n".join(f"  {c.file}:{c.line} {c.qualname}" for c in missing)
    by_key: dict = {}
    for d in all_decls():
        by_key.setdefault((d.file, d.line), set()).update(decl_revisions(d))
    gaps = [f"  {c.name}: {sorted(set(revs) - {'-'} - by_key[(c.file, c.line)])}"
            for c, revs in sorted(called.items())
            if (c.file, c.line) in by_key and set(revs) - {"-"} - by_key[(c.file, c.line)]]
    assert not gaps, "revisions that run a twin on a fault path but are not named in its @mirrors:\n" + "\n".join(gaps)
