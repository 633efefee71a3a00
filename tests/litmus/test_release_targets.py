"""Each mainline release is a revision `ask` and the negotiation matrix take on its own."""
from __future__ import annotations

import json

import polars as pl
import pytest

from dmabuf_lab import cli
from dmabuf_lab.drivers.registry import pairs
from dmabuf_lab.experiments.negotiation import negotiation_matrix
from dmabuf_lab.litmus.scenario import find_scenarios, load_scenario
from dmabuf_lab.revisions import MAINLINE_RELEASES, split_target
from dmabuf_lab.tasks.executors import SerialExecutor


def _named(release: str, limit: int = 3) -> list:
    """Single-thread scenarios whose [expect] names ``release`` (posted variant): the oracle."""
    out = []
    for path in find_scenarios():
        sc = load_scenario(path)
        if not sc.concurrent and release in sc.expect:
            out.append(sc)
        if len(out) == limit:
            break
    return out


@pytest.mark.parametrize("release", MAINLINE_RELEASES)
def test_ask_answers_one_release_as_its_scenarios_state(release, capsys):
    scenarios = _named(release)
    assert scenarios, f"no single-thread scenario states a verdict for {release}"
    for sc in scenarios:
        assert cli.main(["ask", str(sc.path), "--revision", release, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        answers = {a["target"]: a for a in data["answers"]}
        assert {split_target(t)[0] for t in answers} == {release}
        assert answers[release]["outcome"] == sc.expect[release], sc.path.name


@pytest.mark.parametrize("release", MAINLINE_RELEASES)
def test_the_matrix_takes_one_release(release):
    df = negotiation_matrix(["gpu-nic-same-switch"], [release], executor=SerialExecutor(), cache=False,
                            vary_config=False)
    assert df.height > 0
    assert df["revision"].unique().to_list() == [split_target(release)[0]]
    assert set(df.select("exporter", "importer").rows()) <= set(pairs(release))
    assert df.filter(pl.col("outcome") == "model-error").height == 0
