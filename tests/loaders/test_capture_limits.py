"""Loaders read bounded amounts, refuse special files, and name the file for
duplicate or self-referencing sysfs entries and broken archives."""
from __future__ import annotations

import os
import shutil
import sys
import tarfile
from pathlib import Path

import pytest

from dmabuf_lab import cli
from dmabuf_lab.hw.loaders import CaptureParseError, load_bufinfo, load_lspci, load_path, load_sysfs
from dmabuf_lab.hw.loaders import pasted_text, sysfs
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sysfs_snapshot import make_snapshot  # noqa: E402

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"


@pytest.mark.parametrize("loader", [load_lspci, load_bufinfo, load_path])
def test_special_files_are_refused_not_read(loader):
    with pytest.raises(CaptureParseError) as err:
        loader(Path("/dev/zero"))
    assert "/dev/zero" in str(err.value)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "capture.txt"
    os.mkfifo(fifo)
    for loader in (load_lspci, load_bufinfo):
        with pytest.raises(CaptureParseError, match="not a regular file"):
            loader(fifo)


def test_captures_larger_than_the_limit_are_refused(tmp_path, monkeypatch):
    big = tmp_path / "lspci.txt"
    shutil.copyfile(CAPTURES / "lspci-connectx7-1.txt", big)
    monkeypatch.setattr(pasted_text, "MAX_CAPTURE_BYTES", 1024)
    monkeypatch.setattr(pasted_text.read_file_bounded, "__defaults__", (1024,))
    with pytest.raises(CaptureParseError, match="larger than 1024 bytes") as err:
        load_lspci(big)
    assert str(big) in str(err.value)


def test_a_huge_sysfs_attribute_is_refused(tmp_path, monkeypatch):
    snap = make_snapshot(tmp_path / "snap")
    monkeypatch.setattr(sysfs, "MAX_ATTRIBUTE_BYTES", 16)
    (snap / "0000:05:00.0" / "vendor").write_text("0x8086" + " " * 100 + "\n")
    with pytest.raises(CaptureParseError) as err:
        load_sysfs(snap)
    assert err.value.file == str(snap / "0000:05:00.0" / "vendor")


@pytest.mark.parametrize("first, second", [("0000:05:10.0", "00000000:05:10.0"),
                                           ("0000:05:1a.0", "0000:05:1A.0")])
def test_one_function_under_two_spellings_names_both_folders(tmp_path, first, second):
    snap = make_snapshot(tmp_path / "snap")
    for name in (first, second):
        if not (snap / name).exists():
            shutil.copytree(snap / "0000:05:10.0", snap / name)
    with pytest.raises(CaptureParseError) as err:
        load_sysfs(snap)
    msg = str(err.value)
    assert first in msg and second in msg and "both name" in msg


@pytest.mark.parametrize("symlinks", [False, True])
def test_a_pf_whose_virtfn0_names_itself(tmp_path, symlinks):
    snap = make_snapshot(tmp_path / "snap", symlinks=symlinks)
    link = snap / "0000:05:00.0" / "virtfn0"
    link.unlink()
    if symlinks:
        os.symlink("../0000:05:00.0", link)
    else:
        link.write_text("../0000:05:00.0\n")
    with pytest.raises(CaptureParseError) as err:
        load_sysfs(snap)
    assert err.value.file == str(link) and err.value.field == "virtfn0"
    assert "itself" in str(err.value)


def test_a_vf_whose_physfn_names_itself(tmp_path):
    snap = make_snapshot(tmp_path / "snap")
    (snap / "0000:05:10.0" / "physfn").write_text("../0000:05:10.0\n")
    with pytest.raises(CaptureParseError) as err:
        load_sysfs(snap)
    assert err.value.field == "physfn" and err.value.file.endswith("physfn")


def _tgz(tmp_path, symlinks=False) -> Path:
    snap = make_snapshot(tmp_path / "snap", symlinks=symlinks)
    tgz = tmp_path / "snap.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(snap, arcname="snap")
    return tgz


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_a_truncated_archive_is_one_error_naming_it(tmp_path, capsys, keep):
    tgz = _tgz(tmp_path)
    data = tgz.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(CaptureParseError) as err:
        load_sysfs(cut)
    assert err.value.file == str(cut)
    assert cli.main(["topology", "--from-sysfs", str(cut)]) == 2
    e = capsys.readouterr().err
    assert str(cut) in e and e.count("\n") == 1 and "Traceback" not in e


def test_an_archive_of_real_links_keeps_the_sr_iov_links(tmp_path):
    from_dir = load_sysfs(make_snapshot(tmp_path / "plain"))
    from_tar = load_sysfs(_tgz(tmp_path, symlinks=True))
    pf_dir, pf_tar = from_dir.device("0000:05:00.0"), from_tar.device("0000:05:00.0")
    assert (pf_tar.sriov.vf_offset, pf_tar.sriov.vf_stride) == (pf_dir.sriov.vf_offset, pf_dir.sriov.vf_stride)
    assert from_tar.device("0000:05:10.0").physfn is pf_tar
    assert pf_tar.iommu_group == 23


def test_an_archive_that_unpacks_too_big_is_refused(tmp_path, monkeypatch):
    tgz = _tgz(tmp_path)
    monkeypatch.setattr(sysfs, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(CaptureParseError, match="unpacks to more than"):
        load_sysfs(tgz)
