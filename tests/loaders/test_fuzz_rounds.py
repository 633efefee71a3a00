"""A short round of the capture fuzzer (``python -m dmabuf_lab.fuzz.captures`` runs long ones)."""
from __future__ import annotations

from dmabuf_lab.fuzz import captures


def test_a_short_round_escapes_nothing():
    tally = captures.run(150, seed=7, slow=5.0)
    assert sum(tally.outcomes.values()) == 150
    assert tally.escapes == [] and tally.slow == []
    assert {k for k, _ in tally.outcomes} == {"lspci", "dmesg", "bufinfo", "resource", "sysfs"}


def test_the_fuzzer_reports_an_exception_that_is_not_an_input_error(monkeypatch):
    from dmabuf_lab.hw.loaders import bufinfo

    def broken(*_a, **_k):
        raise KeyError("boom")
    monkeypatch.setattr(bufinfo, "parse_bufinfo", broken)
    tally = captures.run(10, seed=1, kinds=("bufinfo",))
    assert tally.escaped >= 1 and {e[2] for e in tally.escapes} == {"KeyError: 'boom'"}
    assert captures.main(["--rounds", "5", "--seed", "3"]) == 1


def test_the_command_line_round_exits_0_when_nothing_escapes(capsys):
    assert captures.main(["--rounds", "5", "--seed", "3"]) == 0
    assert "exceptions other than the lab's input errors: 0" in capsys.readouterr().out


def test_mutations_reach_hostile_numbers():
    import random
    rng = random.Random(0)
    seen = {captures.mutate(b"Total VFs: 16, Number of VFs: 4\n", rng, 1) for _ in range(400)}
    assert any(b"9" * 4400 in s for s in seen) and any("\u00b2".encode() in s for s in seen)
