"""The sweep of stored files no photo refers to.

Files are tied to their transaction (`base.py`), but a process can die between writing a file
and knowing its transaction's fate: a removal owed to an object store that was away is kept in
the process's memory only, and a COMMIT whose answer was lost keeps its files. Such files are
referred to by no row. The recurring job `media-orphans` removes them, a bounded slice per run:

- it lists up to `MEDIA_SWEEP_BATCH` (5,000) stored names after a cursor, in name order (S3:
  ListObjectsV2 pages from StartAfter; the folder: one scandir per fan-out folder);
- it keeps only files older than `MEDIA_SWEEP_MIN_AGE_SECONDS` (an hour): a file written by a
  request or a privacy pass whose transaction is still under way is never looked at;
- it asks the database which of their keys a photo refers to, as its public files
  (`storage_key`) or its unblurred original (`original_key`), both unique indexes, 500 keys a
  statement; the other files are removed;
- it keeps the cursor (the last name listed) in Redis when configured, else in the process's
  memory, and starts again from the first name once it reached the end.

At a million photos (some four million files) a run costs five list pages, twenty indexed
statements and the removals; every five minutes, the whole store is looked at about every
three days. A file referenced by a row is never removed: a name is only ever given to a new
file, never to an existing one, so a file that no row referred to an hour after it was written
is referred to by none later. One bucket prefix or folder per installation: a second database
writing into the same place would see its files removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from ..clock import now
from ..core.models import Photo
from ..extensions import db
from .base import MediaStorage

log = logging.getLogger(__name__)

BATCH = 5000
MIN_AGE_SECONDS = 3600
EVERY_SECONDS = 300
KEYS_PER_STATEMENT = 500
# A cursor untouched this long is forgotten (the sweep then starts from the first name).
CURSOR_SECONDS = 7 * 86400


@dataclass
class Swept:
    """What one run did."""

    listed: int = 0
    old: int = 0
    removed: list[str] = field(default_factory=list)
    wrapped: bool = False  # the listing reached the end: the next run starts from the first

    def summary(self) -> dict:
        return {
            "listed": self.listed,
            "old": self.old,
            "removed": len(self.removed),
            "wrapped": self.wrapped,
        }


class Cursor:
    """Where the next run lists from: in Redis (shared by every host), else in memory."""

    def __init__(self, app: Flask, media: MediaStorage) -> None:
        self.app = app
        self.key = f"maengelmelder:media-sweep:{media.describe()}"

    def _redis(self):
        if not self.app.config.get("REDIS_URL"):
            return None
        from ..jobs import redis_connection

        return redis_connection(self.app)

    def get(self) -> str | None:
        client = self._redis()
        if client is None:
            return self.app.extensions.setdefault(self.key, {}).get("after")
        found = client.get(self.key)
        return found.decode() if found else None

    def set(self, after: str | None) -> None:
        client = self._redis()
        if client is None:
            self.app.extensions.setdefault(self.key, {})["after"] = after
        elif after is None:
            client.delete(self.key)
        else:
            client.set(self.key, after, ex=CURSOR_SECONDS)


def referenced(session: Session, keys: list[str]) -> set[str]:
    """The storage keys among `keys` a photo refers to (public files or original)."""
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        chunk = keys[start : start + KEYS_PER_STATEMENT]
        query = union_all(
            select(Photo.storage_key).where(Photo.storage_key.in_(chunk)),
            select(Photo.original_key).where(Photo.original_key.in_(chunk)),
        )
        found.update(session.scalars(query))
    return found


def sweep(
    session: Session,
    media: MediaStorage,
    cursor: Cursor,
    *,
    now: datetime,
    batch: int = BATCH,
    min_age: timedelta = timedelta(seconds=MIN_AGE_SECONDS),
) -> Swept:
    """One bounded run: list a slice after the cursor, remove its old unreferenced files,
    move the cursor on. A store or database that fails ends the run with the cursor where
    it was (the next run does the same slice again: removing twice is no harm)."""
    listed, after = media.list_after(cursor.get(), batch)
    swept = Swept(listed=len(listed), wrapped=after is None)
    old = [item.name for item in listed if item.modified <= now - min_age]
    swept.old = len(old)
    if old:
        keep = referenced(session, sorted({name[:32] for name in old}))
        session.rollback()  # no transaction stays open while the store is asked
        for name in old:
            if name[:32] not in keep:
                media.delete(name)
                swept.removed.append(name)
                log.warning("removed %s from %s: no photo refers to it", name, media.describe())
    cursor.set(after)
    return swept


def media_orphans() -> dict:
    """The recurring job: one bounded run of the sweep over the app's media storage."""
    from . import storage

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    media = storage()
    swept = sweep(
        db.session,
        media,
        Cursor(app, media),
        now=now(),
        batch=int(app.config.get("MEDIA_SWEEP_BATCH", BATCH)),
        min_age=timedelta(seconds=int(app.config.get("MEDIA_SWEEP_MIN_AGE_SECONDS", 3600))),
    )
    return swept.summary()
