"""HEIC/HEIF and AVIF: a bounded walk of their ISO-BMFF container, and HEIC decoded in strips.

iPhones save photos as HEIC (HEVC pictures in a HEIF container) by default; AVIF (AV1 in the
same container) comes from Android cameras, apps and image editors. Both are taken like the
other formats: this walk reads the primary image's declared size (``ispe``, and a grid's
output size), bit depth (``pixi``), orientation (``irot``, ``imir``) and Exif item before
any decoder sees the file, so the pixel and memory budgets hold. The decoders get a copy in
which the Exif and XMP items have a type nobody reads, so no EXIF parser but ours (exif.py)
ever sees them; GPS comes from our reader, and the HEIF container's own transformations are
the orientation (the standard's rule: an Exif orientation in HEIF is informational only).

HEIC is decoded by libheif (pillow-heif), which also turns the picture upright (irot, imir)
and crops it (clap); the decoded picture is then turned into RGB and reduced a strip of rows
at a time, so Pillow never holds it whole. AVIF goes through Pillow's own AVIF plugin
(libavif), which leaves the orientation to us like a JPEG's.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image, features

from .errors import PhotoError

HEIF, AVIF = "HEIF", "AVIF"
# Brands in `ftyp` of still images in HEIF (HEVC or generic) and AVIF files.
_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2", b"msf1"}
    | {b"avif", b"avis"}
)
# The codecs of a primary image (or of a grid's tiles) that are decoded here.
_CODECS = {b"hvc1": HEIF, b"av01": AVIF}
# The auxiliary image types of an alpha plane (AVIF's, HEVC's).
_ALPHA = frozenset({b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", b"urn:mpeg:hevc:2015:auxid:1"})
# A type that no reader knows: the Exif and XMP items get it in the decoders' copy.
_HIDDEN = b"mmxx"
# Real files hold a few dozen boxes and, with a grid of 512-pixel tiles, a few hundred items.
_MAX_BOXES = 20_000
_MAX_TILES = 4096
_MAX_EXIF = 256 * 1024

# EXIF orientation of (irot angle in quarter turns anticlockwise, imir axis or None): the
# rotation applies first, then the mirroring. As libheif and libavif write and read it,
# axis 0 swaps top and bottom, axis 1 left and right (tests/reports/test_photo_heif.py
# checks this table against both encoders).
_ORIENTATION = {
    (0, None): 1, (0, 1): 2, (0, 0): 4,
    (1, None): 8, (1, 1): 7, (1, 0): 5,
    (2, None): 3, (2, 1): 4, (2, 0): 2,
    (3, None): 6, (3, 1): 5, (3, 0): 7,
}  # fmt: skip


def _damaged() -> PhotoError:
    return PhotoError("truncated")


@dataclass
class Bmff:
    """What the walk found in a HEIF or AVIF file."""

    format: str  # HEIF or AVIF
    size: tuple[int, int]  # declared, as stored (before rotation)
    orientation: int  # EXIF numbering, from irot and imir
    bits: int  # the most bits per channel
    alpha: bool  # an alpha plane comes with the picture
    exif: bytes | None  # the TIFF block of the Exif item
    data: bytes  # the copy for the decoder (Exif and XMP items hidden)


def is_bmff_image(data: bytes) -> bool:
    """An ISO-BMFF file whose `ftyp` names a HEIF or AVIF still-image brand."""
    if data[4:8] != b"ftyp" or len(data) < 16:
        return False
    (size,) = struct.unpack_from(">I", data, 0)
    end = min(max(size, 16), len(data))
    brands = [data[8:12]] + [data[pos : pos + 4] for pos in range(16, end - 3, 4)]
    return any(brand in _BRANDS for brand in brands)


class _Walk:
    """Box reading with one budget for the whole file, so no file keeps the walk busy."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.left = _MAX_BOXES

    def boxes(self, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        """(type, payload start, end) of each box between start and end."""
        data, pos = self.data, start
        while pos < end:
            self.left -= 1
            if self.left < 0 or pos + 8 > end:
                raise _damaged()
            size, kind = struct.unpack_from(">I4s", data, pos)
            header = 8
            if size == 1:
                if pos + 16 > end:
                    raise _damaged()
                (size,) = struct.unpack_from(">Q", data, pos + 8)
                header = 16
            elif size == 0:
                size = end - pos
            if size < header or pos + size > end:
                raise _damaged()
            yield kind, pos + header, pos + size
            pos += size

    def spend(self, count: int = 1) -> None:
        """Count `count` more entries (items, extents, associations) against the budget."""
        self.left -= count
        if self.left < 0:
            raise _damaged()

    def uint(self, pos: int, size: int, end: int) -> int:
        if size == 0:
            return 0
        if not 0 < size <= 8 or pos + size > end:
            raise _damaged()
        return int.from_bytes(self.data[pos : pos + size], "big")


@dataclass
class _Item:
    type: bytes
    type_at: int  # where the type's four bytes are, to hide the item
    extents: list[tuple[int, int]] | None = None  # (offset, length) in the file or idat
    in_idat: bool = False


def walk(data: bytes) -> Bmff:
    """Walk a HEIF or AVIF file (see is_bmff_image); PhotoError for damaged or other kinds."""
    reader = _Walk(data)
    meta = None
    for kind, start, end in reader.boxes(0, len(data)):
        if kind == b"meta":
            meta = (start + 4, end)  # a full box: version and flags first
            break
    if meta is None:
        raise _damaged()
    items: dict[int, _Item] = {}
    locations: dict[int, tuple[list[tuple[int, int]], bool]] = {}
    primary = None
    idat = (0, 0)
    properties: list[tuple[bytes, int, int]] = []
    associations: dict[int, list[int]] = {}
    references: dict[bytes, dict[int, list[int]]] = {}
    handler = None
    for kind, start, end in reader.boxes(*meta):
        if kind == b"hdlr":
            handler = data[start + 8 : start + 12]
        elif kind == b"pitm":
            primary = reader.uint(start + 4, 2 if data[start] == 0 else 4, end)
        elif kind == b"iinf":
            first = start + 4 + (2 if data[start] == 0 else 4)
            for entry, at, entry_end in reader.boxes(first, end):
                version = data[at] if at < entry_end else 0
                if entry != b"infe" or version < 2:
                    continue
                id_size = 2 if version == 2 else 4
                item_id = reader.uint(at + 4, id_size, entry_end)
                type_at = at + 4 + id_size + 2
                if type_at + 4 > entry_end:
                    raise _damaged()
                items[item_id] = _Item(data[type_at : type_at + 4], type_at)
        elif kind == b"iloc":
            _read_locations(reader, start, end, locations)
        elif kind == b"idat":
            idat = (start, end)
        elif kind == b"iprp":
            for part, at, part_end in reader.boxes(start, end):
                if part == b"ipco":
                    properties = list(reader.boxes(at, part_end))
                elif part == b"ipma":
                    _read_associations(reader, at, part_end, associations)
        elif kind == b"iref":
            id_size = 2 if data[start] == 0 else 4
            for ref, at, ref_end in reader.boxes(start + 4, end):
                source = reader.uint(at, id_size, ref_end)
                count = reader.uint(at + id_size, 2, ref_end)
                targets = [
                    reader.uint(at + id_size + 2 + n * id_size, id_size, ref_end)
                    for n in range(min(count, _MAX_TILES))
                ]
                references.setdefault(ref, {})[source] = targets
    if handler != b"pict" or primary not in items:
        raise _damaged()
    for item_id, (extents, in_idat) in locations.items():
        if item_id in items:
            items[item_id].extents, items[item_id].in_idat = extents, in_idat
    image = items[primary]
    codec = image.type
    if codec == b"grid":
        tiles = references.get(b"dimg", {}).get(primary) or []
        if not tiles or tiles[0] not in items:
            raise _damaged()
        codec = items[tiles[0]].type
    if codec not in _CODECS:
        raise PhotoError("unsupported_format")  # JPEG or JPEG 2000 in HEIF, overlays, ...
    fmt = _CODECS[codec]

    size = None
    angle, axis, bits = 0, None, 8
    for index in associations.get(primary, []):
        if not 1 <= index <= len(properties):
            continue
        kind, start, end = properties[index - 1]
        if kind == b"ispe":
            size = (reader.uint(start + 4, 4, end), reader.uint(start + 8, 4, end))
        elif kind == b"irot":
            angle = reader.uint(start, 1, end) & 3
        elif kind == b"imir":
            axis = reader.uint(start, 1, end) & 1
        elif kind == b"pixi":
            channels = reader.uint(start + 4, 1, end)
            depths = [reader.uint(start + 5 + n, 1, end) for n in range(channels)]
            bits = max([bits, *depths])
    alpha = False
    for aux_id, targets in references.get(b"auxl", {}).items():
        if primary not in targets:
            continue
        for index in associations.get(aux_id, []):
            if 1 <= index <= len(properties) and properties[index - 1][0] == b"auxC":
                _, start, end = properties[index - 1]
                aux_type = data[start + 4 : end].split(b"\0", 1)[0]
                alpha = alpha or aux_type in _ALPHA
    if image.type == b"grid":
        # The decoder allocates the grid's output size, whatever `ispe` says.
        grid = _item_bytes(data, image, idat, limit=64)
        if grid is None or len(grid) < 8:
            raise _damaged()
        wide = grid[1] & 1
        rows, columns = grid[2] + 1, grid[3] + 1
        if rows * columns > _MAX_TILES:
            raise _damaged()
        fmt_size = ">II" if wide else ">HH"
        if len(grid) < 4 + struct.calcsize(fmt_size):
            raise _damaged()
        grid_size = struct.unpack_from(fmt_size, grid, 4)
        size = (
            grid_size if size is None else (max(size[0], grid_size[0]), max(size[1], grid_size[1]))
        )
    if size is None or 0 in size:
        raise _damaged()

    exif = None
    described = set(references.get(b"cdsc", {}))
    copy = bytearray(data)
    for _, item in sorted(items.items(), key=lambda pair: pair[0] not in described):
        if item.type == b"Exif":
            if exif is None:
                exif = _exif_block(_item_bytes(data, item, idat, limit=_MAX_EXIF))
            copy[item.type_at : item.type_at + 4] = _HIDDEN
        elif item.type == b"mime":  # XMP (and any other MIME-typed metadata)
            copy[item.type_at : item.type_at + 4] = _HIDDEN
    return Bmff(fmt, size, _ORIENTATION[(angle, axis)], bits, alpha, exif, bytes(copy))


def _read_locations(
    reader: _Walk, start: int, end: int, into: dict[int, tuple[list[tuple[int, int]], bool]]
) -> None:
    """Item locations (iloc): the extents of each item, in the file or in idat."""
    data = reader.data
    version = data[start]
    if version > 2 or start + 8 > end:
        raise _damaged()
    offset_size, length_size = data[start + 4] >> 4, data[start + 4] & 15
    base_size, index_size = data[start + 5] >> 4, data[start + 5] & 15
    if version == 0:
        index_size = 0
    pos = start + 6
    count_size = 4 if version == 2 else 2
    count = reader.uint(pos, count_size, end)
    pos += count_size
    id_size = 4 if version == 2 else 2
    for _ in range(count):
        reader.spend()
        item_id = reader.uint(pos, id_size, end)
        pos += id_size
        method = 0
        if version in (1, 2):
            method = reader.uint(pos, 2, end) & 15
            pos += 2
        reference = reader.uint(pos, 2, end)
        base = reader.uint(pos + 2, base_size, end)
        extent_count = reader.uint(pos + 2 + base_size, 2, end)
        pos += 4 + base_size
        extents = []
        reader.spend(extent_count)
        for _ in range(extent_count):
            pos += index_size
            offset = reader.uint(pos, offset_size, end)
            length = reader.uint(pos + offset_size, length_size, end)
            pos += offset_size + length_size
            extents.append((base + offset, length))
        if reference == 0 and method in (0, 1):  # in this file, or in idat
            into[item_id] = (extents, method == 1)
        if pos > end:
            raise _damaged()


def _read_associations(reader: _Walk, start: int, end: int, into: dict[int, list[int]]) -> None:
    """Property associations (ipma): the 1-based property indexes of each item."""
    data = reader.data
    version, flags = data[start], reader.uint(start + 1, 3, end)
    count = reader.uint(start + 4, 4, end)
    pos = start + 8
    id_size = 2 if version < 1 else 4
    index_size = 2 if flags & 1 else 1
    mask = 0x7FFF if index_size == 2 else 0x7F
    for _ in range(count):
        reader.spend()
        item_id = reader.uint(pos, id_size, end)
        n = reader.uint(pos + id_size, 1, end)
        pos += id_size + 1
        into[item_id] = [
            reader.uint(pos + k * index_size, index_size, end) & mask for k in range(n)
        ]
        pos += n * index_size


def _item_bytes(data: bytes, item: _Item, idat: tuple[int, int], *, limit: int) -> bytes | None:
    """An item's bytes (at most `limit`), or None when they are not where they claim to be."""
    if not item.extents:
        return None
    base, end = (idat[0], idat[1]) if item.in_idat else (0, len(data))
    parts, total = [], 0
    for offset, length in item.extents:
        start = base + offset
        if length == 0:  # to the end of the file (or idat)
            length = end - start
        total += length
        if start < base or start + length > end or total > limit:
            return None
        parts.append(data[start : start + length])
    return b"".join(parts)


def _exif_block(payload: bytes | None) -> bytes | None:
    """The TIFF block of an Exif item: after the offset that starts it (and "Exif\\0\\0")."""
    if payload is None or len(payload) < 4:
        return None
    (skip,) = struct.unpack_from(">I", payload, 0)
    block = payload[4 + skip :] if 4 + skip <= len(payload) else b""
    return block[6:] if block.startswith(b"Exif\x00\x00") else block or None


# -- decoding -------------------------------------------------------------------------------


def avif_supported() -> bool:
    """Whether this Pillow reads AVIF (its own plugin, Pillow 11.2 and later)."""
    return bool(features.check("avif"))


def decode_heif(
    data: bytes,
    *,
    declared: tuple[int, int],
    target: Callable[[tuple[int, int]], tuple[int, int]],
    to_rgb: Callable[[Image.Image], Image.Image],
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode a HEIC (upright, cropped) into RGB reduced by the largest whole factor that
    keeps it at least `target(size)`; returns it and the full decoded size.

    libheif's picture is read a strip of rows at a time from its own buffer, so the only
    other copy is the reduced one.
    """
    import pillow_heif

    heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True, remove_stride=False)
    width, height = heif.size
    if width * height > declared[0] * declared[1]:  # libheif disagrees with the walk
        raise _damaged()
    mode, stride = heif.mode, heif.stride
    buffer = memoryview(heif.data)  # decodes
    if mode not in ("RGB", "RGBA", "L") or len(buffer) < stride * (height - 1) + width * len(mode):
        raise _damaged()
    want = target((width, height))
    factor = max(1, min(width // want[0], height // want[1]))
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    rows = max(1, (4 * 1024 * 1024) // (stride * factor)) * factor
    for top in range(0, height, rows):
        count = min(rows, height - top)
        chunk = buffer[top * stride : (top + count) * stride]
        strip = to_rgb(Image.frombuffer(mode, (width, count), chunk, "raw", mode, stride, 1))
        out.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    del buffer, heif
    return out, (width, height)
