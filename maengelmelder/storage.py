"""Where photo files live: a media directory now, object storage later, one interface.

Files written inside a database transaction are tied to it: if the transaction does not
commit, they are deleted, so a failed request never leaves orphan files behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from .errors import ApiError

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[a-f0-9]{32}-(web|thumb)\.jpg$")
_PENDING = "maengelmelder.pending_files"
_DOOMED = "maengelmelder.doomed_files"


class MediaStorage:
    """Photo files in a directory, fanned out by the first two characters of the key."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """The file path of a stored name; refuses anything that is not one of our names."""
        if not NAME_RE.fullmatch(name):
            raise ValueError(f"not a media name: {name!r}")
        return self.root / name[:2] / name

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def put(self, session: Session, name: str, data: bytes) -> None:
        """Write a file atomically and tie it to the session's transaction."""
        target = self.path(name)
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
        session.info.setdefault(_PENDING, []).append(target)

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def delete_on_commit(self, session: Session, name: str) -> None:
        """Remove a file once the transaction that replaced it has committed."""
        session.info.setdefault(_DOOMED, []).append(self.path(name))


def storage() -> MediaStorage:
    """The app's media storage."""
    return current_app.extensions["maengelmelder.storage"]


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop(_PENDING, None)
    for path in session.info.pop(_DOOMED, []):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove replaced file %s", path)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_DOOMED, None)
    for path in session.info.pop(_PENDING, []):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove uncommitted file %s", path)


def init_app(app: Flask) -> None:
    app.extensions["maengelmelder.storage"] = MediaStorage(app.config["MEDIA_DIR"])
