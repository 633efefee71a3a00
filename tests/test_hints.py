"""Error hints and README examples: a mistyped name gets the near one, every example runs.

The near names come from difflib over what the lab holds, so these tests
name a real figure, finding or preset and a typo of it.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from dmabuf_lab import cli

ROOT = Path(__file__).resolve().parents[1]


def test_a_mistyped_figure_gets_the_near_figure_not_a_rerun(capsys):
    assert cli.main(["export", "08_negotiation_matrix/matrx"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 08_negotiation_matrix/matrix?" in err and "dmabuf-lab run" not in err


def test_a_mistyped_finding_id_gets_the_near_id_in_one_line(capsys):
    assert cli.main(["findings", "--format", "email", "sgt-orig-nents"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'sgt-orig-nents-leak'?" in err
    assert "[" not in err and len(err.strip().splitlines()) == 1


def test_a_scenario_file_without_an_importer_is_told_so(tmp_path, capsys):
    scen = tmp_path / "half.toml"
    scen.write_text('question = "q"\ntopology = "gpu-nic-same-switch"\n[exporter]\ndriver = "vfio-pci"\n')
    assert cli.main(["ask", str(scen)]) == 2
    err = capsys.readouterr().err
    assert str(scen) in err and "[importer]" in err and "importer.driver" in err
    assert "give a SCENARIO file" not in err


def test_notebooks_readme_run_examples_name_real_parameters():
    from dmabuf_lab.runner.notebook_source import discover

    sources = {s.name.split("_", 1)[0]: s for s in discover(ROOT / "notebooks")}
    text = (ROOT / "notebooks" / "README.md").read_text()
    examples = [line.split("#")[0] for line in text.splitlines() if line.startswith("dmabuf-lab run ")
                and (" -p " in line or "--params" in line)]
    assert examples
    for line in examples:
        words = shlex.split(line)
        nb = sources[words[2]]
        params = [c for c in nb.read().cells if "parameters" in c.metadata.get("tags", [])][0].source
        names = set(re.findall(r"^(\w+)\s*=", params, re.M))
        flag = words.index("-p") if "-p" in words else words.index("--params")
        for pair in words[flag + 1:]:
            assert pair.split("=")[0] in names, (line, pair)


def test_litmus_readme_lists_every_preset_and_names_no_tracker():
    from dmabuf_lab.hw import PRESETS

    text = (ROOT / "litmus" / "README.md").read_text()
    topo = text.split("## Topology", 1)[1].split("\n## ", 1)[0]
    for name in PRESETS:
        assert f"`{name}`" in topo, name
    assert not re.search(r"\bissue\s+#?\d", text, re.I)
    assert not re.search(r"\bR\d\b", text)
