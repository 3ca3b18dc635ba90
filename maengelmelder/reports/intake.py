"""Reading a submission from the request: the fields and photo bytes of a report (multipart,
form or JSON), and its Idempotency-Key. Citizen intake and the staff's after photos read
photos alike."""

from __future__ import annotations

from flask import request

from ..errors import ApiError
from ..i18n import msg


def intake_payload() -> tuple[dict, list[bytes]]:
    """The submitted fields and photo bytes, from multipart, form or JSON bodies."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json")
        return body, []
    if request.mimetype in {"multipart/form-data", "application/x-www-form-urlencoded"}:
        for name in request.files:
            if name != "photos":
                raise ApiError(
                    422,
                    "validation_failed",
                    fields={name: [msg("unexpected_file", field=name)]},
                )
        # An empty optional form field means 'not given', as browsers send them.
        fields = {k: v for k, v in request.form.items() if v.strip() != ""}
        blobs = []
        for upload in request.files.getlist("photos"):
            blob = upload.read()
            if blob or upload.filename:  # browsers send an empty part for "no file chosen"
                blobs.append(blob)
        return fields, blobs
    raise ApiError(415, "unsupported_media_type")


def idempotency_key() -> str | None:
    """The request's Idempotency-Key header: 1–255 printable ASCII characters, or a 400."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise ApiError(400, "idempotency_key_invalid")
    return key
