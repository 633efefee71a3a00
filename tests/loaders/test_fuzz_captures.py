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


# ---------------------------------------------------------------- sysfs snapshots, archives, TOML, special files
import io  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402

from dmabuf_lab.errors import LabInputError  # noqa: E402
from dmabuf_lab.hw.loaders import load_path, load_sysfs  # noqa: E402
from dmabuf_lab.litmus.scenario import ScenarioError, load_scenario  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_sysfs_snapshot import make_snapshot  # noqa: E402

DEVICES = ["0000:05:00.0", "0000:05:10.0"]
SPELLINGS = [lambda b: b.upper(), lambda b: "0000" + b, lambda b: b.replace("0000:", "00000000:"),
             lambda b: b[:-1] + "0" if b[-1] != "0" else b[:-1] + "1"]
FILES = ["vendor", "device", "class", "resource", "sriov_totalvfs", "sriov_numvfs", "sriov_offset",
         "sriov_stride", "sriov_vf_device", "physfn", "virtfn0", "virtfn1", "iommu_group", "devpath"]

_sysfs_edit = st.one_of(
    st.tuples(st.just("respell"), st.sampled_from(DEVICES), st.integers(0, len(SPELLINGS) - 1)),
    st.tuples(st.just("selflink"), st.sampled_from(DEVICES), st.sampled_from(["virtfn0", "virtfn1", "physfn"])),
    st.tuples(st.just("link"), st.sampled_from(DEVICES), st.sampled_from(["virtfn0", "virtfn1", "physfn"]),
              st.sampled_from(DEVICES + ["0000:05:00.0 ", "../../x", "0000:ff:1f.7"])),
    st.tuples(st.just("delete"), st.sampled_from(DEVICES), st.sampled_from(FILES)),
    st.tuples(st.just("write"), st.sampled_from(DEVICES), st.sampled_from(FILES), st.binary(max_size=60)),
    st.tuples(st.just("mkdir"), st.sampled_from(DEVICES), st.sampled_from(FILES)),
)


def _apply_sysfs(root: Path, edits) -> None:
    for op, bdf, *arg in edits:
        d = root / bdf
        if not d.is_dir():
            continue
        if op == "respell":
            other = root / SPELLINGS[arg[0]](bdf)
            if not other.exists():
                os.rename(d, other) if arg[0] == 3 else _copy_dir(d, other)
        elif op in ("selflink", "link"):
            target = bdf if op == "selflink" else arg[1]
            f = d / arg[0]
            if f.is_dir():
                continue
            f.write_text(f"../{target}\n")
        elif op == "delete":
            f = d / arg[0]
            if f.is_file() or f.is_symlink():
                f.unlink()
        elif op == "write":
            f = d / arg[0]
            if not f.is_dir():
                f.write_bytes(arg[1])
        elif op == "mkdir":
            f = d / arg[0]
            if f.is_file() or f.is_symlink():
                f.unlink()
            f.mkdir(exist_ok=True)


def _copy_dir(src: Path, dst: Path) -> None:
    import shutil
    shutil.copytree(src, dst, symlinks=True)


def only_loader_errors(fn, *args):
    """The loader's own error (a LabInputError naming where) is the only thing that may escape."""
    try:
        fn(*args)
    except LabInputError as exc:
        assert exc.file or exc.field or exc.line is not None, str(exc)


@given(st.lists(_sysfs_edit, max_size=8), st.booleans())
def test_sysfs_snapshot_fuzz(edits, symlinks):
    with tempfile.TemporaryDirectory() as tmp:
        root = make_snapshot(Path(tmp) / "snap", symlinks=symlinks)
        _apply_sysfs(root, edits)
        only_loader_errors(load_sysfs, root)


def _snapshot_tgz() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_snapshot(Path(tmp) / "snap", symlinks=True)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tf:
            tf.add(root, arcname="snap")
        return buf.getvalue()


TGZ = _snapshot_tgz()


@given(st.integers(0, len(TGZ)), st.lists(st.tuples(st.integers(0, len(TGZ) - 1), st.integers(1, 255)),
                                          max_size=3))
def test_truncated_or_damaged_archive_fuzz(keep, flips):
    data = bytearray(TGZ[:keep])
    for pos, mask in flips:
        if pos < len(data):
            data[pos] ^= mask
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "snap.tar.gz"
        path.write_bytes(bytes(data))
        only_loader_errors(load_sysfs, path)
        only_loader_errors(load_path, path)


@given(st.integers(1, 6000), st.sampled_from([("[", "]"), ("{b=", "}"), ("[{c=", "}]")]),
       st.booleans())
def test_nested_toml_fuzz(depth, brackets, closed):
    opening, closing = brackets
    text = 'question = "q"\ntopology = "xe-sriov-8vf"\na = ' + opening * depth + (closing * depth if closed else "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deep.toml"
        path.write_text(text + "\n")
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert exc.file == str(path)


@given(st.binary(max_size=300))
def test_random_scenario_bytes(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.toml"
        path.write_bytes(data)
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert exc.file == str(path)


def _special_files(tmp: Path) -> list[Path]:
    fifo = tmp / "fifo"
    os.mkfifo(fifo)
    return [Path("/dev/zero"), Path("/dev/null"), Path("/dev/urandom"), fifo, tmp]


def test_special_files_never_reach_a_parser(tmp_path):
    for path in _special_files(tmp_path):
        for loader in (load_lspci, load_bufinfo, load_path, load_scenario):
            try:
                loader(path)
            except LabInputError as exc:
                assert str(path) in str(exc), (loader.__name__, str(exc))
            else:
                raise AssertionError(f"{loader.__name__}({path}) returned a result")
