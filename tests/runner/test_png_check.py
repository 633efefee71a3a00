"""The PNG checker used by the figure tests must itself reject bad files."""
import struct
import zlib

import pytest

from png_check import SIGNATURE, decode_png


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width=2, height=3, rows=None):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)      # 8-bit RGB
    rows = rows if rows is not None else b"".join(b"\0" + b"\x10" * (3 * width) for _ in range(height))
    return SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def test_hand_built_png_decodes():
    assert decode_png(_png()) == (2, 3)


@pytest.mark.parametrize("bad", [
    b"",                                        # empty
    b"GIF89a" + b"\0" * 40,                     # other format
    _png()[:-12],                               # IEND cut off
    _png(rows=b"\0" * 5),                       # too little pixel data
])
def test_broken_pngs_are_rejected(bad):
    with pytest.raises(ValueError):
        decode_png(bad)


def test_corrupt_crc_is_rejected():
    data = bytearray(_png())
    data[20] ^= 0xFF                             # inside IHDR
    with pytest.raises(ValueError):
        decode_png(bytes(data))
