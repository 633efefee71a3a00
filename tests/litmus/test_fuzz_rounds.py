"""Short fuzz rounds: mutated scenarios and registries end in the lab's own error or a result.

The long rounds are scripts: ``python -m dmabuf_lab.fuzz.scenarios --rounds 10000``
and ``python -m dmabuf_lab.fuzz.findings_toml --rounds 5000``.
"""
from __future__ import annotations

import pytest

from dmabuf_lab.fuzz import findings_toml, scenarios


@pytest.mark.parametrize("seed", [11, 12])
def test_scenario_fuzz_round(seed):
    tally = scenarios.fuzz(120, seed)
    assert tally.failed == 0, sorted(tally.failures)
    # the round reached the runner, the explorer and ask, not only the loader
    assert tally.outcomes["verdict"] and tally.outcomes["scenario-error"] and tally.outcomes["ask-answer"]


def test_findings_fuzz_round():
    tally = findings_toml.fuzz(80, 5)
    assert tally.failed == 0, sorted(tally.failures)
    assert tally.outcomes["findings-error"] and tally.outcomes["loaded"]
