"""Step order: an importer maps only what it attached; a bad order is a scenario error, not a model error."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dmabuf_lab.fuzz.toml_text import document
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import ScenarioError, find_scenarios, load_scenario, load_scenario_text
from dmabuf_lab.litmus.step_order import RULES, order_problem
from dmabuf_lab.revisions.base import MODEL_ERROR, THREAD_STEPS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SEQ = ROOT / "litmus" / "rfc-v1-kvm-vfio.toml"
RACE = ROOT / "litmus" / "race-vfio-revoke-vs-dma.toml"


def _load(tmp_path, base: Path, **changes):
    data = tomllib.loads(base.read_text(encoding="utf-8"))
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    return load_scenario_text(tmp_path / "s.toml", document(data))


def test_every_thread_step_has_a_rule():
    assert set(RULES) == set(THREAD_STEPS)


@pytest.mark.parametrize("steps, index, step", [
    (["map"], 1, "map"),
    (["attach", "detach", "map"], 3, "map"),
    (["attach", "unmap", "detach"], 2, "unmap"),
    (["attach", "map", "unmap", "unmap"], 4, "unmap"),
    (["detach"], 1, "detach"),
    (["attach", "attach"], 2, "attach"),
    (["revoke", "unmap", "attach"], 2, "unmap"),
])
def test_illegal_order_is_a_scenario_error_naming_the_step(tmp_path, steps, index, step):
    with pytest.raises(ScenarioError) as exc:
        _load(tmp_path, SEQ, steps=steps)
    msg = str(exc.value)
    assert "field 'steps'" in msg and f"step {index} ('{step}')" in msg


def test_steps_without_an_attach_ask_nothing_of_the_importer(tmp_path):
    with pytest.raises(ScenarioError, match="field 'steps'.*no attach"):
        _load(tmp_path, SEQ, steps=["revoke", "move"])


@pytest.mark.parametrize("steps", [
    ["attach", "map", "revoke", "map", "detach"],
    ["revoke", "attach", "map", "unmap", "detach"],
    ["attach", "map", "move", "map", "unmap", "detach"],
    ["attach", "detach", "attach", "map", "unmap", "detach"],
    ["attach", "map", "detach"],
])
def test_legal_orders_load(tmp_path, steps):
    assert _load(tmp_path, SEQ, steps=steps).steps == tuple(steps)


def test_importer_steps_in_two_threads_are_refused(tmp_path):
    threads = {"a": ["attach", "map"], "b": ["unmap", "detach"], "vfio": ["revoke"]}
    with pytest.raises(ScenarioError, match=r"field 'threads.b'.*one importer.*one thread"):
        _load(tmp_path, RACE, threads=threads)


def test_release_ends_its_thread(tmp_path):
    threads = {"importer": ["attach", "detach"], "vfio": ["release", "re-enable"]}
    with pytest.raises(ScenarioError, match=r"field 'threads.vfio'.*step 1 \('release'\) ends its thread"):
        _load(tmp_path, RACE, threads=threads)


def test_thread_order_is_checked_per_thread(tmp_path):
    threads = {"importer": ["map", "use"], "vfio": ["revoke"]}
    with pytest.raises(ScenarioError, match=r"field 'threads.importer'.*thread 'importer': step 1 \('map'\)"):
        _load(tmp_path, RACE, threads=threads)


def test_shipped_scenarios_are_in_a_legal_order():
    for path in find_scenarios():
        sc = load_scenario(path)
        for _, steps in (sc.threads or (("steps", sc.steps),)):
            assert order_problem(steps) is None, path


def test_a_legal_order_never_ends_in_a_model_error():
    """The orders the table accepts run under every revision without the lab's own error."""
    sc = load_scenario(SEQ)
    from dmabuf_lab.litmus.ask import targets

    for steps in (["attach", "map", "map", "unmap", "detach"], ["attach", "detach", "attach", "detach"],
                  ["attach", "map", "detach", "revoke"], ["revoke", "revoke", "attach", "move", "detach"]):
        assert order_problem(steps) is None
        for t in targets(None, False):
            v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, steps, t)
            assert v.outcome != MODEL_ERROR, (steps, t, v.detail)
