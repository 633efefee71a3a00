"""bufinfo dumps in the formats dma_buf_debug_show() has printed over the years."""
import pytest

from dmabuf_lab.hw.loaders import CaptureParseError, load_bufinfo

# tabs as the kernel prints them (seq_printf "%08zu\t%08x\t%08x\t%08ld\t%s\t%08lu\t%s\n")
MODERN = (
    "\nDma-buf Objects:\n"
    "size    \tflags   \tmode    \tcount   \texp_name\tino     \tname\n"
    "00004096\t00000002\t00080007\t00000003\tsystem\t00000017\tcamera frame\n"
    "\tread fence:i915 signaled_timeline seq 12 unsignalled\n"
    "\tAttached Devices:\n"
    "\t0000:03:00.0\n"
    "\t0000:04:00.0\n"
    "Total 2 devices attached\n\n"
    "00008192\t00000002\t00080007\t00000001\txe\t00000018\t<none>\n"
    "\tAttached Devices:\n"
    "Total 0 devices attached\n\n"
    "\nTotal 2 objects, 12288 bytes\n")

OLD = (
    "\nDma-buf Objects:\n"
    "size    \tflags   \tmode    \tcount   \texp_name\n"
    "00065536\t00000002\t00000007\t00000004\tion\n"
    "\tExclusive fence: ion ion-timeline signalled\n"
    "\tAttached Devices:\n"
    "\tsoc:gpu\n"
    "Total 1 devices attached\n\n"
    "\nTotal 1 objects, 65536 bytes\n")


def test_modern_format():
    info = load_bufinfo(MODERN)
    a, b = info.buffers
    assert (a.size, a.flags, a.mode, a.count, a.exp_name, a.ino, a.name) == \
        (4096, 2, 0x80007, 3, "system", 17, "camera frame")
    assert a.attached == ["0000:03:00.0", "0000:04:00.0"] and a.attached_total == 2
    assert (a.fences[0].usage, a.fences[0].seq, a.fences[0].signalled) == ("read", 12, False)
    assert (b.exp_name, b.name, b.attached) == ("xe", None, [])
    assert (info.total_objects, info.total_bytes) == (2, 4096 + 8192)
    assert info.missing == []
    assert set(info.importers()) == {"0000:03:00.0", "0000:04:00.0"}
    assert [r["n_attached"] for r in info.rows()] == [2, 0]


def test_old_format_without_ino_and_name():
    info = load_bufinfo(OLD)
    (buf,) = info.buffers
    assert (buf.size, buf.exp_name, buf.ino, buf.name) == (65536, "ion", None, None)
    assert buf.fences[0].usage == "Exclusive" and buf.fences[0].signalled
    assert buf.attached == ["soc:gpu"]
    assert info.missing == []


def test_quoted_crlf_spaces_instead_of_tabs():
    text = "".join("> " + ln.replace("\t", "    ") + "\r\n" for ln in MODERN.splitlines())
    info = load_bufinfo(text)
    assert [b.size for b in info.buffers] == [4096, 8192]
    assert info.buffers[0].name == "camera frame"


def test_counts_that_disagree_are_reported():
    text = MODERN.replace("Total 2 objects, 12288 bytes", "Total 3 objects, 99 bytes")
    info = load_bufinfo(text)
    assert any("3 counted" in m for m in info.missing)


@pytest.mark.parametrize("text, line", [("hello\n", 1), ("\n\nnothing to see\n", 3), ("", 1)])
def test_garbage(text, line):
    with pytest.raises(CaptureParseError) as e:
        load_bufinfo(text)
    assert e.value.line == line and "Dma-buf Objects" in str(e.value)
