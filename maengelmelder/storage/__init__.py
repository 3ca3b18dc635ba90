"""Where photo files live: a local folder (the default) or an S3-compatible bucket.

One interface (`base.MediaStorage`), two backends (`local.LocalStorage`, `s3.S3Storage`),
chosen by MAENGELMELDER_MEDIA_URL: unset, the folder MAENGELMELDER_MEDIA_DIR; `s3://bucket/
prefix`, the bucket. Callers never see a file path: they put, read, open (a stream) and
delete stored names.
"""

from __future__ import annotations

from flask import Flask, current_app

from .base import NAME_RE, MediaStorage, StoredFile, check_name
from .local import LocalStorage

__all__ = [
    "NAME_RE",
    "LocalStorage",
    "MediaStorage",
    "StoredFile",
    "check_name",
    "init_app",
    "make_storage",
    "storage",
]


def make_storage(config) -> MediaStorage:
    """The backend the settings name."""
    url = config.get("MEDIA_URL")
    if not url:
        return LocalStorage(config["MEDIA_DIR"])
    from .s3 import S3Storage  # boto3 is loaded only where it is used

    return S3Storage(
        url,
        endpoint=config.get("S3_ENDPOINT"),
        region=config.get("S3_REGION"),
        timeout=config.get("S3_TIMEOUT_SECONDS", 3.0),
        attempts=config.get("S3_ATTEMPTS", 2),
        public_url=config.get("MEDIA_PUBLIC_URL"),
    )


def storage() -> MediaStorage:
    """The app's media storage."""
    return current_app.extensions["maengelmelder.storage"]


_SWEEP = "maengelmelder.storage.sweep"


def init_app(app: Flask) -> None:
    app.extensions["maengelmelder.storage"] = make_storage(app.config)
    if not app.extensions.get(_SWEEP):  # again after a change of settings: scheduled once
        app.extensions[_SWEEP] = True
        from ..jobs import Recurring, add_recurring
        from .sweep import EVERY_SECONDS

        # Files no photo refers to (left by a process that died), a bounded slice a run.
        add_recurring(
            app,
            Recurring("media-orphans", "maengelmelder.storage.sweep.media_orphans", EVERY_SECONDS),
        )
