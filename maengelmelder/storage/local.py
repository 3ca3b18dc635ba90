"""The media storage in a local folder (the default): one machine's disk."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..errors import ApiError
from .base import CHUNK, NAME_RE, Listed, MediaStorage, StoredFile, relative_key

log = logging.getLogger(__name__)


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    while block := fh.read(CHUNK):
        yield block


class LocalStorage(MediaStorage):
    """Photo files in a directory, fanned out by the first two characters of the key."""

    kind = "local"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        return self.root / relative_key(name)

    def describe(self) -> str:
        return str(self.root)

    def write(self, name: str, data: bytes) -> None:
        """Write a file atomically (a temporary file renamed into place)."""
        target = self._path(name)
        tmp = target.with_suffix(".tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            log.error("storing %s failed: %s", name, exc)
            raise ApiError(507, "storage_failed", headers={"Retry-After": "60"}) from exc

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def open(self, name: str) -> StoredFile | None:
        try:
            fh = open(self._path(name), "rb")  # noqa: SIM115  closed by the response
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        stat = os.fstat(fh.fileno())
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        return StoredFile(size=stat.st_size, modified=modified, chunks=_chunks(fh), close=fh.close)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def md5(self, name: str) -> str | None:
        try:
            with open(self._path(name), "rb") as fh:
                return hashlib.file_digest(fh, "md5").hexdigest()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def list_after(self, after: str | None, limit: int) -> tuple[list[Listed], str | None]:
        """The fan-out folders in name order, each read with one `os.scandir` and sorted
        (a million photos put some 15,000 files in each of the 256 folders)."""
        try:
            folders = sorted(e.name for e in os.scandir(self.root) if len(e.name) == 2)
        except (FileNotFoundError, NotADirectoryError):
            return [], None
        found: list[Listed] = []
        for folder in folders:
            if after is not None and folder < after[:2]:
                continue
            try:
                names = sorted(
                    (e.name, e)
                    for e in os.scandir(self.root / folder)
                    if (after is None or e.name > after)
                    and NAME_RE.fullmatch(e.name)
                    and e.name[:2] == folder
                )
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name, entry in names:
                try:
                    modified = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
                except FileNotFoundError:
                    continue  # removed meanwhile
                found.append(Listed(name, modified))
                if len(found) >= limit:
                    return found, name
        return found, None
