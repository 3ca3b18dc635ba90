"""The media storage's interface and its promise to the database transaction.

Files written inside a database transaction are tied to it: if the transaction does not
commit, they are deleted, so a failed request never leaves orphan files behind. Except when
the connection was lost while the COMMIT itself was under way (the server froze or went away
before answering it): the transaction may have been carried out, so its files are kept and
named in the log, and a retry with the same Idempotency-Key finds the report complete.
Files a transaction replaced (`delete_on_commit`) go once it has committed, never before.

Every backend stores the same names under the same relative layout (`<first two>/<name>`), so
a media folder and a bucket prefix hold identical trees (`maengelmelder media migrate`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[a-f0-9]{32}-(web|thumb)\.jpg$")
_PENDING = "maengelmelder.pending_files"
_DOOMED = "maengelmelder.doomed_files"
CHUNK = 64 * 1024


def check_name(name: str) -> str:
    """A stored name, refused unless it is one of ours (never a path of the caller's)."""
    if not NAME_RE.fullmatch(name):
        raise ValueError(f"not a media name: {name!r}")
    return name


def relative_key(name: str) -> str:
    """Where a name lives below the storage's root: fanned out by its first two characters."""
    return f"{name[:2]}/{check_name(name)}"


@dataclass(frozen=True)
class Listed:
    """A stored name, and when its file was written (for the sweep of unreferenced files)."""

    name: str
    modified: datetime


@dataclass
class StoredFile:
    """An open stored file to be streamed: its size, when it was written, and its bytes."""

    size: int
    modified: datetime | None
    chunks: Iterator[bytes]
    close: Callable[[], None] = field(default=lambda: None)


class MediaStorage:
    """The interface every backend offers; the transactional bookkeeping lives here."""

    kind = "abstract"

    # What a backend implements.
    def write(self, name: str, data: bytes) -> None:
        """Store `data` under `name` at once (no transaction); raise ApiError when it fails."""
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        """A stored file's bytes; FileNotFoundError when there is none."""
        raise NotImplementedError

    def open(self, name: str) -> StoredFile | None:
        """A stored file to stream, or None when there is none."""
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Remove a stored file now; a missing one is no error."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the files are, for messages (never a secret)."""
        raise NotImplementedError

    def md5(self, name: str) -> str | None:
        """The MD5 (hex) of a stored file's bytes, or None when there is none (for checks)."""
        raise NotImplementedError

    def list_after(self, after: str | None, limit: int) -> tuple[list[Listed], str | None]:
        """Up to `limit` stored names after `after` (from the first without), in name order,
        each with when it was written; and the name to list after next time, None once the
        end was reached. Only our names (NAME_RE in its fan-out folder); nothing else."""
        raise NotImplementedError

    def probe(self) -> bool | None:
        """Whether the store answers now (one bounded try), for `/healthz`; None for a backend
        that is no separate server to ask (the local folder)."""
        return None

    def presigned_url(self, name: str, seconds: int) -> str | None:
        """A URL that reads this one file for `seconds` without the app, if the backend has
        a public address; None otherwise (the app then serves the bytes)."""
        return None

    # The transactional promise, the same for every backend.
    def put(self, session: Session, name: str, data: bytes) -> None:
        """Write a file and tie it to the session's transaction: gone if it does not commit."""
        self.write(name, data)
        session.info.setdefault(_PENDING, []).append((self, name))

    def delete_on_commit(self, session: Session, name: str) -> None:
        """Remove a file once the transaction that replaced it has committed."""
        session.info.setdefault(_DOOMED, []).append((self, check_name(name)))


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


def _remove_all(files: list[tuple[MediaStorage, str]], what: str) -> None:
    for media, name in files:
        try:
            media.delete(name)
        except Exception:  # one failed removal must not keep the others
            log.exception("could not remove %s file %s from %s", what, name, media.describe())


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    _COMMIT.set(None)
    session.info.pop(_PENDING, None)
    _remove_all(session.info.pop(_DOOMED, []), "replaced")


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
                ", ".join(name for _, name in pending),
            )
        return
    _remove_all(pending, "uncommitted")
