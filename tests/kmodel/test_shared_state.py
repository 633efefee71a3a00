"""Declared shared members announce every read and write in a concurrent run."""
from __future__ import annotations

import pytest

from dmabuf_lab.kmodel import Kernel, kstruct
from dmabuf_lab.kmodel.sched import Scheduler, SharedState, atomic, unannounced


class flag_box(kstruct):
    fields = (("flag", False), ("count", 0), ("private", 0))
    shared = ("flag", "count")


class decode_bit(SharedState):
    shared = {"on": "PCI_COMMAND_MEMORY"}

    def __init__(self):
        self.on = True


def _labels(body) -> list[str]:
    with Kernel():
        s = Scheduler()
        s.spawn("t", body)
        s.start()
        while not s.finished():
            s.step(0)
        s.close()
    return [op.label for _, op in s.trace]


def test_every_access_to_a_declared_member_is_a_point():
    box = flag_box()

    def body():
        if not box.flag:              # read
            box.flag = True           # write
        box.private += 1              # not shared: no point

    labels = _labels(body)
    assert [lab.split()[0] for lab in labels] == ["read", "write"]
    assert all(lab.endswith(".flag") for lab in labels)


def test_atomic_is_one_action_and_unannounced_none():
    box = flag_box()

    def body():
        with atomic(box, "count"):
            box.count += 1            # a read and a write, one action
        with unannounced():
            assert box.flag is False  # the lab's own look

    assert _labels(body) == ["write flag_box#1.count"]


def test_plain_classes_announce_under_the_c_name():
    bit = decode_bit()

    def body():
        bit.on = False

    assert _labels(body) == ["write decode_bit#1.PCI_COMMAND_MEMORY"]


def test_outside_a_concurrent_run_nothing_changes():
    box = flag_box()
    box.flag = True
    assert box.flag and box.count == 0


def test_a_shared_name_that_is_no_member_is_refused():
    with pytest.raises(TypeError, match="shared names no member: nosuch"):
        class bad(kstruct):
            fields = ("a",)
            shared = ("nosuch",)
