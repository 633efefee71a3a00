"""Mangled captures never crash a loader with anything but CaptureParseError.

Hypothesis deletes, duplicates and swaps lines, flips bytes, inserts junk and
truncates the shipped captures; every outcome must be a loaded topology (or
bufinfo) or a CaptureParseError that names a line.
"""
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dmabuf_lab.hw.loaders import CaptureParseError, load_bufinfo, load_lspci, parse_resource

CAPTURES = Path(__file__).resolve().parents[2] / "data" / "captures"
LSPCI = [p.read_bytes() for p in sorted(CAPTURES.glob("lspci-*.txt"))]
LSPCI.append((CAPTURES / "lspci-intel-x550-1.txt").read_bytes() + b"\n"
             + (CAPTURES / "lspci-intel-x550-vf-1.txt").read_bytes())
LSPCI.append((CAPTURES / "lspci-intel-flex-56c0-sriov-quoted.txt").read_bytes()
             + (CAPTURES / "dmesg-intel-flex-56c0-sriov-quoted.txt").read_bytes())
BUFINFO = [p.read_bytes() for p in sorted(CAPTURES.glob("bufinfo-*.txt"))]
RESOURCE = [p.read_bytes() for p in sorted(CAPTURES.glob("resource-*.txt"))]

_edit = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000)),
    st.tuples(st.just("swap"), st.integers(0, 10_000)),
    st.tuples(st.just("flip"), st.integers(0, 100_000), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.binary(max_size=40)),
    st.tuples(st.just("truncate"), st.integers(0, 100_000)),
)


def mangle(data: bytes, edits) -> bytes:
    for op, pos, *arg in edits:
        lines = data.split(b"\n")
        i = pos % max(len(lines), 1)
        if op == "delete" and lines:
            del lines[i]
        elif op == "duplicate" and lines:
            lines.insert(i, lines[i])
        elif op == "swap" and len(lines) > 1:
            j = (i + 1) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, arg[0])
        data = b"\n".join(lines)
        if op == "flip" and data:
            k = pos % len(data)
            data = data[:k] + bytes([data[k] ^ arg[0]]) + data[k + 1:]
        elif op == "truncate":
            data = data[: pos % (len(data) + 1)]
    return data


def only_capture_errors(fn, data):
    try:
        fn(data)
    except CaptureParseError as exc:
        assert exc.line is not None or exc.file is not None or exc.field is not None or exc.message


@given(st.sampled_from(LSPCI), st.lists(_edit, max_size=12))
def test_lspci_fuzz(data, edits):
    only_capture_errors(load_lspci, mangle(data, edits))


@given(st.sampled_from(BUFINFO), st.lists(_edit, max_size=12))
def test_bufinfo_fuzz(data, edits):
    only_capture_errors(load_bufinfo, mangle(data, edits))


@given(st.sampled_from(RESOURCE), st.lists(_edit, max_size=8))
def test_resource_fuzz(data, edits):
    only_capture_errors(lambda b: parse_resource(b.decode("utf-8", "replace")), mangle(data, edits))


@given(st.binary(max_size=400))
def test_random_bytes(data):
    only_capture_errors(load_lspci, data)
    only_capture_errors(load_bufinfo, data)
