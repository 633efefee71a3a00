"""A small PNG reader: enough to prove a file is a PNG that decodes.

It checks the signature, walks the chunks verifying each CRC, reads IHDR,
inflates the IDAT stream and checks it holds exactly one filter byte plus
one row of pixels per scanline.
"""
from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}   # colour type -> samples per pixel


def decode_png(data: bytes) -> tuple[int, int]:
    """Return (width, height); raise ValueError when ``data`` is not a decodable PNG."""
    if not data.startswith(SIGNATURE):
        raise ValueError("no PNG signature")
    pos, ihdr, idat, seen_end = len(SIGNATURE), None, [], False
    while pos < len(data):
        if pos + 8 > len(data):
            raise ValueError("truncated chunk header")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise ValueError(f"truncated {ctype!r} chunk")
        if zlib.crc32(ctype + body) != struct.unpack(">I", crc)[0]:
            raise ValueError(f"bad CRC in {ctype!r}")
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            seen_end = True
            break
        pos += 12 + length
    if ihdr is None or not idat or not seen_end:
        raise ValueError("missing IHDR, IDAT or IEND")
    width, height, depth, colour, _, _, interlace = ihdr
    if width == 0 or height == 0:
        raise ValueError("empty image")
    if interlace:
        raise ValueError("interlaced PNGs are not expected here")
    raw = zlib.decompress(b"".join(idat))
    bits_per_row = width * CHANNELS[colour] * depth
    expected = height * (1 + (bits_per_row + 7) // 8)
    if len(raw) != expected:
        raise ValueError(f"pixel data is {len(raw)} bytes, expected {expected}")
    return width, height
