"""Malformed scenarios are reported with the file, the line and the key."""
from __future__ import annotations

import textwrap

import pytest

from dmabuf_lab.errors import LabInputError
from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario

GOOD = textwrap.dedent('''\
    question = "q"
    topology = "xe-sriov-8vf"

    [exporter]
    driver = "vfio-pci"
    device = "0000:03:00.2"
    bar = 2
    ranges = [[0x0, 0x200000]]

    [importer]
    driver = "xe"
    device = "0000:03:00.0"

    [expect]
    mainline = "sgt-p2p"
    ''')


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_scenario_loads(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert s.exporter.ranges == ((0, 0x200000),)
    # plain ``mainline`` is the alias of the newest mainline and is stored under its name
    assert s.expect == {"mainline-7.3-rc6": "sgt-p2p"}
    assert s.steps == ("attach", "map", "unmap", "detach")


@pytest.mark.parametrize("old,new,field,line,words", [
    ('driver = "vfio-pci"', 'driver = "vfio-pcie"', "exporter.driver", 5, "unknown driver"),
    ('driver = "xe"', 'driver = "nvme"', "importer.driver", 11, "unknown driver"),
    ('device = "0000:03:00.2"', 'device = "0000:09:00.0"', "exporter.device", 6, "not in the topology"),
    ('device = "0000:03:00.0"', 'device = "0000:03:02.0"', "importer.device", 12, "not in the topology"),
    ('ranges = [[0x0, 0x200000]]', 'ranges = [[0x0, 0x200000], [0x1000]]', "exporter.ranges", 8, "ranges[1]"),
    ('ranges = [[0x0, 0x200000]]', 'ranges = [[0xfff00000, 0x200000]]', "exporter.ranges", 8, "past the end"),
    ('ranges = [[0x0, 0x200000]]', 'ranges = [[0x0, 0]]', "exporter.ranges", 8, "zero length"),
    ('bar = 2', 'bar = 4', "exporter.bar", 7, "no BAR 4"),
    ('mainline = "sgt-p2p"', 'rfc-v9 = "sgt-p2p"', "expect.rfc-v9", 15, "unknown revision"),
    ('mainline = "sgt-p2p"', 'mainline = "scatterlist"', "expect.mainline", 15, "unknown outcome"),
    ('mainline = "sgt-p2p"', 'mainline = "-ENOTANERRNO"', "expect.mainline", 15, "unknown errno"),
    ('mainline = "sgt-p2p"', '"mainline:bogus" = "sgt"', "expect.mainline:bogus", 15, "no variant"),
    ('topology = "xe-sriov-8vf"', 'topology = "no-such-preset"', "topology", 2, "cannot load topology"),
])
def test_malformed_scenarios_name_file_line_and_key(tmp_path, old, new, field, line, words):
    assert old in GOOD
    p = write(tmp_path, GOOD.replace(old, new), "broken.toml")
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    err = ei.value
    assert isinstance(err, LabInputError)
    assert err.field == field
    assert err.line == line
    msg = str(err)
    assert str(p) in msg and field in msg and words in msg


def test_unknown_finding_and_unknown_top_level_key(tmp_path):
    p = write(tmp_path, GOOD + '\n[findings]\nmainline = ["leaks"]\n')
    with pytest.raises(ScenarioError, match="unknown finding 'leaks'") as ei:
        load_scenario(p)
    assert ei.value.field == "findings.mainline"
    p = write(tmp_path, 'questoin = "typo"\n' + GOOD)
    with pytest.raises(ScenarioError, match="unknown key 'questoin'") as ei:
        load_scenario(p)
    assert ei.value.line == 1


def test_unknown_step_and_bad_toml(tmp_path):
    p = write(tmp_path, GOOD.replace('topology = "xe-sriov-8vf"',
                                     'topology = "xe-sriov-8vf"\nsteps = ["attach", "mmap"]'))
    with pytest.raises(ScenarioError, match="unknown step 'mmap'"):
        load_scenario(p)
    p = write(tmp_path, GOOD + "\n[expect\n")
    with pytest.raises(ScenarioError, match="not valid TOML") as ei:
        load_scenario(p)
    assert ei.value.file == str(p)


def test_errno_aliases_are_normalised(tmp_path):
    s = load_scenario(write(tmp_path, GOOD.replace('mainline = "sgt-p2p"', 'mainline = "-ENOTSUP"')))
    assert s.expect["mainline-7.3-rc6"] == "-EOPNOTSUPP"


def test_an_alias_and_its_revision_in_one_table_is_an_error(tmp_path):
    p = write(tmp_path, GOOD.replace('mainline = "sgt-p2p"', 'mainline = "sgt-p2p"\n"mainline-7.3-rc6" = "sgt"'))
    with pytest.raises(ScenarioError, match="already lists"):
        load_scenario(p)
