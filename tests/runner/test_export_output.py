"""`export -o`: only a regular file in a writable folder is written; every refusal is one line."""
from __future__ import annotations

import errno
import os

import pytest

from dmabuf_lab import cli


@pytest.fixture
def build(tmp_path):
    fig = tmp_path / "build" / "figures" / "00_tour"
    fig.mkdir(parents=True)
    (fig / "timeline.txt").write_text("the timeline\n")
    return tmp_path / "build"


def _refused(capsys, build, target) -> str:
    assert cli.main(["export", "00_tour/timeline", "--build", str(build), "-o", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and err.count("\n") == 1, err
    assert "field '--output'" in err
    return err


def test_a_regular_file_is_written_and_replaced(build, tmp_path, capsys):
    target = tmp_path / "out" / "fig.txt"
    assert cli.main(["export", "00_tour/timeline", "--build", str(build), "-o", str(target)]) == 0
    target.write_text("older")
    assert cli.main(["export", "00_tour/timeline", "--build", str(build), "-o", str(target)]) == 0
    assert target.read_text() == "the timeline\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["fig.txt"]


def test_root_is_refused(build, capsys):
    err = _refused(capsys, build, "/")
    assert "cannot write /" in err


def test_a_fifo_is_refused_and_left_a_fifo(build, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    err = _refused(capsys, build, fifo)
    assert "not a regular file" in err
    assert fifo.is_fifo()


def test_a_device_is_refused(build, capsys):
    assert os.path.exists("/dev/null")
    err = _refused(capsys, build, "/dev/null")
    assert "not a regular file" in err


def test_a_read_only_file_system_fails_in_one_line_with_nothing_left(build, tmp_path, capsys, monkeypatch):
    target = tmp_path / "ro" / "fig.txt"
    target.parent.mkdir()
    real_open, real_unlink = os.open, os.unlink

    def read_only(path, *args, **kwargs):
        if str(path).startswith(str(target.parent)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, *args, **kwargs)

    def no_unlink(path, *args, **kwargs):        # the clean-up fails on such a mount as well
        if str(path).startswith(str(target.parent)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    monkeypatch.setattr(os, "unlink", no_unlink)
    err = _refused(capsys, build, target)
    assert "Read-only file system" in err
    assert list(target.parent.iterdir()) == []


def test_a_folder_without_write_permission_is_refused(build, tmp_path, capsys, monkeypatch):
    target = tmp_path / "locked" / "fig.txt"
    target.parent.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) == str(target.parent)
                        else real_access(p, mode, **kw))
    err = _refused(capsys, build, target)
    assert "not writable" in err
