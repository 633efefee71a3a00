"""Driver options: each driver declares the [exporter]/[importer] keys it reads.

A key a driver does not declare is a ScenarioError naming the file, the
line, the key and the valid options; so is a declared key with a value of
the wrong type.  The declarations are checked against what the drivers
really read (every option lookup of a run over the shipped scenarios under
every revision is recorded) and against litmus/README.md.
"""
from __future__ import annotations

import re
import textwrap
from collections import defaultdict

import pytest

from dmabuf_lab.drivers.registry import DRIVERS, check_options, driver_options
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import ScenarioError, default_litmus_dir, find_scenarios, load_scenario
from dmabuf_lab.revisions import REVISIONS, get_revision
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, current_session

BASE = textwrap.dedent('''\
    question = "q"
    topology = "gpu-nic-same-switch"

    [exporter]
    driver = "xe"
    device = "0000:03:00.0"
    size = 0x400000

    [importer]
    driver = "rdma"
    device = "0000:04:00.0"
    dynamic = true

    [expect]
    mainline = "sgt-p2p"
    ''')


def load_text(tmp_path, text):
    p = tmp_path / "opt.toml"
    p.write_text(text)
    return p, load_scenario(p)


def test_declared_options_load_and_reach_the_spec(tmp_path):
    text = BASE.replace("size = 0x400000", "size = 0x400000\nmigratable = false\ncpu_visible = false")
    text = text.replace("dynamic = true", 'dynamic = true\nwants = ["phys", "dma-addr"]')
    _, s = load_text(tmp_path, text)
    assert s.exporter.options == {"size": 0x400000, "migratable": False, "cpu_visible": False}
    assert s.importer.options == {"wants": ["phys", "dma-addr"]}


@pytest.mark.parametrize("old,new,field,line,valid", [
    # a typo of xe's `migratable` (line 7 of the file)
    ("size = 0x400000", "migrateable = false", "exporter.migrateable", 7, "migratable"),
    # rdma has no `offer` (that is xe's offer-list importer option)
    ("dynamic = true", "dynamic = true\noffer = [\"vram\"]", "importer.offer", 13, "wants"),
    # `allow_p2p` is not `allow_peer2peer`
    ("dynamic = true", "dynamic = true\nallow_p2p = false", "importer.allow_p2p", 13, "allow_peer2peer"),
])
def test_unknown_option_names_file_line_key_and_valid_ones(tmp_path, old, new, field, line, valid):
    assert old in BASE
    p = tmp_path / "typo.toml"
    p.write_text(BASE.replace(old, new))
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    err = ei.value
    assert err.field == field and err.line == line
    msg = str(err)
    assert str(p) in msg and field in msg and "unknown" in msg
    assert "valid options:" in msg and valid in msg
    if field.endswith("migrateable"):
        assert "did you mean 'migratable'?" in msg


def test_option_of_another_role_is_rejected(tmp_path):
    # `offer` is an xe *importer* option; the xe exporter does not read it.
    p = tmp_path / "role.toml"
    p.write_text(BASE.replace("size = 0x400000", 'offer = ["vram"]'))
    with pytest.raises(ScenarioError, match="unknown exporter option 'offer' for driver 'xe'") as ei:
        load_scenario(p)
    assert ei.value.field == "exporter.offer"


def test_iommufd_takes_only_access_pin(tmp_path):
    text = BASE.replace('driver = "rdma"\ndevice = "0000:04:00.0"\ndynamic = true',
                        'driver = "iommufd"\nslot_size = 4096')
    p = tmp_path / "iommufd.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError, match=r"valid options: access_pin \(") as ei:
        load_scenario(p)
    assert ei.value.field == "importer.slot_size"


@pytest.mark.parametrize("old,new,field,words", [
    ("size = 0x400000", 'size = "4M"', "exporter.size", "positive integer"),
    ("size = 0x400000", "size = 0x400000\nmigratable = 1", "exporter.migratable", "true or false"),
    ("dynamic = true", 'dynamic = true\nwants = ["dma"]', "importer.wants", "'dma' is not one of"),
    ("dynamic = true", 'dynamic = true\nwants = []', "importer.wants", "non-empty list"),
    ("dynamic = true", 'dynamic = true\nattach_via = "static"', "importer.attach_via", "'static' is not one of"),
])
def test_bad_option_values_are_scenario_errors(tmp_path, old, new, field, words):
    p = tmp_path / "value.toml"
    p.write_text(BASE.replace(old, new))
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    assert ei.value.field == field
    assert words in str(ei.value) and str(p) in str(ei.value)


def test_check_options_for_hand_built_specs():
    assert check_options("xe", "exporter", {"size": 4096, "migratable": True}) == []
    [(key, msg)] = check_options("kvm", "importer", {"slotsize": 4096})
    assert key == "slotsize" and "slot_size" in msg


def test_every_option_a_driver_reads_is_declared_for_that_revision(monkeypatch):
    seen = defaultdict(set)

    def recorder(cls, role):
        orig = cls.option

        def option(self, key, default=None):
            s = current_session()
            seen[(role, self.driver, key)].add(s.revision.name if s is not None else None)
            return orig(self, key, default)
        return option

    monkeypatch.setattr(ExporterSpec, "option", recorder(ExporterSpec, "exporter"))
    monkeypatch.setattr(ImporterSpec, "option", recorder(ImporterSpec, "importer"))
    for path in find_scenarios([default_litmus_dir()]):
        sc = load_scenario(path)
        for rev in REVISIONS:
            for variant in ("posted",) + tuple(get_revision(rev).modes):
                run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, f"{rev}:{variant}")
    assert seen, "no option was read at all: the recorder is broken"
    for (role, driver, key), revs in seen.items():
        opt = driver_options(driver, role).get(key)
        assert opt is not None, f"{driver} ({role}) reads undeclared option {key!r}"
        declared = set(opt.revisions or REVISIONS)
        assert revs <= declared, f"{driver} ({role}) reads {key!r} under {revs - declared}, not declared"
    # The other direction: a declared option that no driver reads would be accepted
    # silently.  Exceptions: unchecked_ranges is read by the loader itself, and the
    # get-pfn core reads dmabuf_move_notify of any exporter only for a buffer with
    # pin/unpin, which no shipped xe or system-heap scenario reaches.
    loader_or_core = {("exporter", d, "unchecked_ranges") for d in DRIVERS}
    loader_or_core |= {("exporter", "xe", "dmabuf_move_notify"), ("exporter", "system", "dmabuf_move_notify")}
    for info in DRIVERS.values():
        for role in info.roles:
            for key in info.options(role):
                if (role, info.name, key) not in loader_or_core:
                    assert (role, info.name, key) in seen, f"{info.name} ({role}) declares {key!r}; nothing reads it"


def test_readme_documents_every_option():
    text = (default_litmus_dir() / "README.md").read_text()
    for info in DRIVERS.values():
        for role in info.roles:
            opts = info.options(role)
            if not opts:
                continue
            m = re.search(rf"^\*\*{re.escape(info.name)}\*\* \({role}\)\s*$(.*?)(?=^\*\*|^#|\Z)", text,
                          re.M | re.S)
            assert m, f"litmus/README.md has no table for {info.name} ({role})"
            documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", m.group(1), re.M))
            assert documented == set(opts), (info.name, role, documented ^ set(opts))
            # the "read under" column names the revisions whose code reads the option
            for key, under in re.findall(r"^\| `([a-z0-9_]+)` \|[^|]*\|[^|]*\|([^|]*)\|", m.group(1), re.M):
                want = opts[key].revisions
                got = under.strip()
                assert (got == "all") if not want else (set(got.split(", ")) == set(want)), \
                    (info.name, role, key, got, want)


def test_a_bdf_option_must_name_a_device_of_the_topology(tmp_path):
    # a peer GPU on the NIC's function: a placement no machine has, declared as such
    text = ('construction = "the peer-gpu importer borrows the NIC slot to test link_to"\n'
            + BASE.replace('driver = "rdma"\ndevice = "0000:04:00.0"\ndynamic = true',
                           'driver = "peer-gpu"\ndevice = "0000:04:00.0"\nlink_to = "0000:0a:00.0"'))
    p = tmp_path / "link.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError, match="not in the topology") as ei:
        load_scenario(p)
    assert ei.value.field == "importer.link_to" and ei.value.line == 13
    p.write_text(text.replace("0000:0a:00.0", "0000:03:00.0"))
    assert load_scenario(p).importer.options == {"link_to": "0000:03:00.0"}
