"""Where photo files live: a media directory now, object storage later, one interface.

Files written inside a database transaction are tied to it: if the transaction does not
commit, they are deleted, so a failed request never leaves orphan files behind. Except when
the connection was lost while the COMMIT itself was under way (the server froze or went away
before answering it): the transaction may have been carried out, so its files are kept and
named in the log, and a retry with the same Idempotency-Key finds the report complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from contextvars import ContextVar
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
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


# Where the current transaction's COMMIT stands: "sent" to the server, or "unknown" when the
# connection was lost before its answer came; None otherwise.
_COMMIT: ContextVar[str | None] = ContextVar("maengelmelder.storage.commit", default=None)


@event.listens_for(Session, "after_begin")
def _forget_commit(session: Session, transaction, connection) -> None:
    _COMMIT.set(None)


@event.listens_for(Engine, "commit")
def _commit_sent(connection) -> None:
    _COMMIT.set("sent")


@event.listens_for(Engine, "handle_error")
def _commit_failed(context) -> None:
    if _COMMIT.get() == "sent":
        # A refusal (a constraint checked at commit) is an answer; a lost connection is not.
        _COMMIT.set("unknown" if context.is_disconnect else None)


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    _COMMIT.set(None)
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
    pending = session.info.pop(_PENDING, [])
    if _COMMIT.get() == "unknown":
        _COMMIT.set(None)
        if pending:
            log.warning(
                "connection lost during COMMIT: keeping %s, the transaction may have been "
                "carried out",
                ", ".join(path.name for path in pending),
            )
        return
    for path in pending:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("could not remove uncommitted file %s", path)


def init_app(app: Flask) -> None:
    app.extensions["maengelmelder.storage"] = MediaStorage(app.config["MEDIA_DIR"])
