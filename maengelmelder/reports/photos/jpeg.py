"""JPEG scans: whether the coded data can fill the frame, and a decode that notices when the
decoder runs out of data.

libjpeg does not fail when a scan's coded data ends early: at the next marker (or at an
end-of-image marker the sender put there) it warns, fills the rest of the frame with zeros
and finishes, and Pillow drops the warning. A 600-byte file whose frame header claims
7000 x 7000 pixels thus decodes as a flat grey picture. Three checks, from cheap to exact:

* ``scan_layout`` walks the markers after the first scan header (a regular expression over
  the coded data, no decoding) and compares each scan's coded bytes with the least a
  Huffman-coded scan of that many blocks needs: two bits per block in a sequential scan
  (a DC and an AC code), one in a progressive DC scan. Less than that cannot be complete.
* A single sequential scan (what cameras and browsers write) is decoded without its
  end-of-image marker, followed by a few bytes of lookahead that are no marker. A complete
  scan never needs them beyond libjpeg's read-ahead, and the decoder finishes; an incomplete
  one asks for more data, which Pillow reports as a truncated file.
* A multi-scan stream (progressive, or one scan per component) can only finish at its
  end-of-image marker, so it is decoded a second time with random bytes before every marker
  that ends coded data. Complete scans never read them (libjpeg skips them as padding); an
  incomplete scan decodes them as data, and the two pictures differ.
"""

from __future__ import annotations

import re
import secrets
import struct
from dataclasses import dataclass

from .errors import PhotoError

EOI = b"\xff\xd9"
# libjpeg reads up to 57 bits ahead of what it decodes (on 64-bit builds): eight bytes of
# stuffed 0xFF bytes (no marker) satisfy that and decode as invalid codes if really read.
LOOKAHEAD = b"\xff\x00" * 8
# Any marker but a restart marker: where a scan's coded data ends.
_END_OF_CODED_DATA = re.compile(rb"\xff+([^\x00\xff\xd0-\xd7])")
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_MAX_SEGMENTS = 4096
_PAD_BYTES = 64


@dataclass(frozen=True)
class ScanLayout:
    """Where a JPEG stream's scans end, and what decoding it safely needs."""

    end: int  # the offset of the end-of-image marker, or the length without one
    scans: int
    single_scan: bool  # one sequential scan of every component: finishes without an EOI
    coded_ends: tuple[int, ...]  # offsets of the markers that end each scan's coded data
    # Bytes of libjpeg's whole-image coefficient buffer (multi-scan streams only).
    coefficient_bytes: int


@dataclass(frozen=True)
class _Frame:
    progressive: bool
    blocks: dict[int, int]  # component id -> 8x8 blocks in the frame


def _frame(data: bytes, pos: int, marker: int) -> _Frame:
    height, width, count = struct.unpack_from(">HHB", data, pos + 3)
    components = []
    for index in range(count):
        ident, sampling = struct.unpack_from(">BB", data, pos + 8 + 3 * index)
        components.append((ident, sampling >> 4, sampling & 15))
    h_max = max((h for _, h, _ in components), default=1) or 1
    v_max = max((v for _, _, v in components), default=1) or 1
    blocks = {}
    for ident, h, v in components:
        columns = -(-width * h // h_max)
        rows = -(-height * v // v_max)
        blocks[ident] = -(-columns // 8) * -(-rows // 8)
    return _Frame(progressive=marker == 0xC2, blocks=blocks)


def scan_layout(data: bytes) -> ScanLayout:
    """Walk a JPEG stream's markers (SOI first); PhotoError("truncated") for a scan that is
    too short to cover its blocks, or for a structure that is not a JPEG stream."""
    try:
        return _walk(data)
    except (struct.error, IndexError) as exc:
        raise PhotoError("truncated") from exc


def _walk(data: bytes) -> ScanLayout:
    frame: _Frame | None = None
    scans = 0
    single = False
    coded_ends: list[int] = []
    scan: tuple[list[int], int, int] | None = None  # the open scan: ids, Ss, start of data
    pos = 2
    for _ in range(_MAX_SEGMENTS):
        found = _END_OF_CODED_DATA.search(data, pos)
        # Fill bytes (0xFF) may stand before a marker: the coded data ends where they begin.
        start = found.start() if found else len(data)
        if scan is not None:
            ids, spectral_start, coded_start = scan
            _check_length(frame, ids, spectral_start, start - coded_start)
            coded_ends.append(start)
            scan = None
        if found is None or found.group(1) == b"\xd9":
            return _layout(start, scans, single, coded_ends, frame)
        marker = found.group(1)[0]
        if marker in _STANDALONE:
            pos = found.end()
            continue
        (length,) = struct.unpack_from(">H", data, found.end())
        segment_end = found.end() + length
        if length < 2 or segment_end > len(data):
            raise PhotoError("truncated")
        if marker in _SOF and frame is None:
            frame = _frame(data, found.end(), marker)
        elif marker == 0xDA:
            if frame is None:
                raise PhotoError("truncated")
            count = data[found.end() + 2]
            ids = [data[found.end() + 3 + 2 * i] for i in range(count)]
            scan = (ids, data[found.end() + 3 + 2 * count], segment_end)
            scans += 1
            single = scans == 1 and not frame.progressive and set(ids) == set(frame.blocks)
        pos = segment_end
    raise PhotoError("truncated")  # a flood of segments between scans


def _check_length(frame: _Frame, ids: list[int], spectral_start: int, coded: int) -> None:
    """A Huffman code is at least one bit: a sequential scan needs a DC and an AC code per
    block, a progressive DC scan one code (or one correction bit) per block. Restart markers
    are counted as coded bytes, so this never refuses a scan that could be complete."""
    blocks = sum(frame.blocks.get(ident, 0) for ident in ids)
    dc_scan = spectral_start == 0
    needed = (blocks if dc_scan else 0) if frame.progressive else 2 * blocks
    if coded * 8 < needed:
        raise PhotoError("truncated")


def _layout(
    end: int, scans: int, single: bool, coded_ends: list[int], frame: _Frame | None
) -> ScanLayout:
    if frame is None or not scans:
        raise PhotoError("truncated")
    single = single and scans == 1
    coefficients = 0 if single else 128 * sum(frame.blocks.values())
    return ScanLayout(end, scans, single, tuple(coded_ends), coefficients)


def without_end(data: bytes, layout: ScanLayout) -> bytes:
    """A single-scan stream without its EOI (and what follows), plus the decoder's lookahead."""
    return data[: layout.end] + LOOKAHEAD


def with_end(data: bytes, layout: ScanLayout) -> bytes:
    """The stream up to its EOI, with an EOI (a missing one is added)."""
    return data[: layout.end] + EOI


def with_random_padding(data: bytes, layout: ScanLayout) -> bytes:
    """The stream with unpredictable non-marker bytes before every marker that ends coded
    data, and an EOI. Decodes like `with_end` exactly when no scan ran out of data."""
    parts = []
    last = 0
    ends = [e for e in layout.coded_ends if e < layout.end] + [layout.end]
    for offset in ends:
        parts.append(data[last:offset])
        parts.append(_random_pad())
        last = offset
    parts.append(EOI)
    return b"".join(parts)


def _random_pad() -> bytes:
    # No 0xFF byte, so the padding never forms a marker.
    return secrets.token_bytes(_PAD_BYTES).replace(b"\xff", b"\xfe")
