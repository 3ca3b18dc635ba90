"""The media storage in an S3-compatible bucket (SeaweedFS, Garage, Ceph RGW, AWS) via boto3.

Objects are private: the bucket needs no public access at all. The app streams every photo
after its access check; when a public address of the object store is configured, public
photos may instead be answered with a redirect to a short-lived presigned URL for that address.

Every call is bounded (connect and read timeouts of a few seconds, two attempts), so an
object store that is down costs a request seconds, not minutes: writing then answers 503 with
Retry-After, and the next request tries again (no restart needed once the store is back).

A write that timed out may still land once a frozen store wakes up, and the removal of an
uncommitted object fails while the store is away. Such names are owed a removal: each later
write first removes them, so a store that comes back is cleaned by the next upload. Only
uncommitted names are ever owed (no row refers to them); a process that ends while it owes
some leaves unreferenced objects, never a row without its photo.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ApiError
from .base import CHUNK, NAME_RE, Listed, MediaStorage, StoredFile, relative_key

log = logging.getLogger(__name__)

RETRY_AFTER = "30"
_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ends with "/"


def parse_media_url(url: str) -> S3Location:
    """`s3://bucket/some/prefix` -> the bucket and the key prefix ("some/prefix/")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise RuntimeError(f"MAENGELMELDER_MEDIA_URL must be s3://bucket/prefix, got {url!r}")
    prefix = parts.path.strip("/")
    return S3Location(parts.netloc, f"{prefix}/" if prefix else "")


def _missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return error.get("Code") in _MISSING or status == "404"


def _unavailable(action: str, name: str, exc: Exception) -> ApiError:
    log.error("object store: %s %s failed: %s", action, name, exc)
    return ApiError(503, "storage_unavailable", headers={"Retry-After": RETRY_AFTER})


def _chunks(body) -> Iterator[bytes]:
    while block := body.read(CHUNK):
        yield block


def make_client(endpoint: str | None, region: str | None, timeout: float, attempts: int):
    """An S3 client with path-style addressing and small, bounded timeouts and retries."""
    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"total_max_attempts": max(1, attempts), "mode": "standard"},
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        # Only what S3 requires: not every S3-compatible server knows the newer checksums.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region or session.region_name or "us-east-1",
        config=config,
    )


class S3Storage(MediaStorage):
    """Photo files as objects `<prefix><first two>/<name>` in one bucket."""

    kind = "s3"

    def __init__(
        self,
        url: str,
        *,
        endpoint: str | None = None,
        region: str | None = None,
        timeout: float = 3.0,
        attempts: int = 2,
        public_url: str | None = None,
    ) -> None:
        self.url = url
        self.location = parse_media_url(url)
        self.client = make_client(endpoint, region, timeout, attempts)
        # Presigned URLs are signed for the address browsers use (the signature covers it).
        self.public_client = (
            make_client(public_url, region, timeout, attempts) if public_url else None
        )
        # `/healthz` asks once, within the timeout, without the retries of real work.
        self.probe_client = make_client(endpoint, region, timeout, 1)
        self._owed: set[str] = set()
        self._owed_lock = threading.Lock()

    def key(self, name: str) -> str:
        return self.location.prefix + relative_key(name)

    def describe(self) -> str:
        return self.url

    def _owe(self, name: str) -> None:
        with self._owed_lock:
            self._owed.add(name)

    def _settle(self) -> None:
        """Remove the objects owed a removal, while the store answers."""
        with self._owed_lock:
            owed = sorted(self._owed)
        for name in owed:
            try:
                self.client.delete_object(Bucket=self.location.bucket, Key=self.key(name))
            except (BotoCoreError, ClientError):
                return  # still away: the next write tries again
            with self._owed_lock:
                self._owed.discard(name)
            log.info("object store: removed %s, owed since a failed request", name)

    def write(self, name: str, data: bytes) -> None:
        self._settle()
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self.client.put_object(
                Bucket=self.location.bucket,
                Key=self.key(name),
                Body=data,
                ContentType="image/jpeg",
                ContentMD5=md5,  # the store refuses bytes that arrive damaged
            )
        except (BotoCoreError, ClientError) as exc:
            self._owe(name)  # it may land after all
            raise _unavailable("storing", name, exc) from exc

    def read(self, name: str) -> bytes:
        found = self.open(name)
        if found is None:
            raise FileNotFoundError(name)
        try:
            return b"".join(found.chunks)
        except (BotoCoreError, OSError) as exc:
            raise _unavailable("reading", name, exc) from exc
        finally:
            found.close()

    def open(self, name: str) -> StoredFile | None:
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=self.key(name))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise _unavailable("reading", name, exc) from exc
        except BotoCoreError as exc:
            raise _unavailable("reading", name, exc) from exc
        body = answer["Body"]
        return StoredFile(
            size=int(answer["ContentLength"]),
            modified=answer.get("LastModified"),
            chunks=_chunks(body),
            close=body.close,
        )

    def etag(self, name: str) -> str | None:
        """The object's ETag (the MD5 of its bytes for a single upload), or None."""
        try:
            head = self.client.head_object(Bucket=self.location.bucket, Key=self.key(name))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise _unavailable("checking", name, exc) from exc
        except BotoCoreError as exc:
            raise _unavailable("checking", name, exc) from exc
        return head["ETag"].strip('"')

    def md5(self, name: str) -> str | None:
        """The ETag, which is the MD5 of the bytes for objects uploaded in one piece (ours);
        a multipart ETag ("…-N") is no MD5, so the bytes are hashed then."""
        etag = self.etag(name)
        if etag is None or "-" not in etag:
            return etag
        return hashlib.md5(self.read(name), usedforsecurity=False).hexdigest()

    def exists(self, name: str) -> bool:
        return self.etag(name) is not None

    def delete(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=self.key(name))
        except (BotoCoreError, ClientError) as exc:
            self._owe(name)
            raise _unavailable("removing", name, exc) from exc

    def list_after(self, after: str | None, limit: int) -> tuple[list[Listed], str | None]:
        """ListObjectsV2 below the prefix from `after` on (StartAfter), page by page
        (ContinuationToken), until `limit` of our names were seen."""
        prefix = self.location.prefix
        ask: dict = {"Bucket": self.location.bucket, "Prefix": prefix}
        if after is not None:
            ask["StartAfter"] = self.key(after)
        found: list[Listed] = []
        while True:
            try:
                page = self.client.list_objects_v2(MaxKeys=min(1000, limit - len(found)), **ask)
            except (BotoCoreError, ClientError) as exc:
                raise _unavailable("listing", prefix or "/", exc) from exc
            for item in page.get("Contents", []):
                folder, _, name = item["Key"][len(prefix) :].partition("/")
                if NAME_RE.fullmatch(name) and folder == name[:2]:
                    found.append(Listed(name, item["LastModified"]))
                    if len(found) >= limit:
                        return found, name
            if not page.get("IsTruncated"):
                return found, None
            ask["ContinuationToken"] = page["NextContinuationToken"]

    def probe(self) -> bool:
        """Whether the bucket answers a HEAD within the timeout (one try, no retries)."""
        try:
            self.probe_client.head_bucket(Bucket=self.location.bucket)
        except (BotoCoreError, ClientError) as exc:
            log.warning("object store: %s does not answer: %s", self.url, exc)
            return False
        return True

    def presigned_url(self, name: str, seconds: int) -> str | None:
        """A URL under the public address that reads this one object for `seconds`."""
        if self.public_client is None:
            return None
        return self.public_client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.location.bucket, "Key": self.key(name)},
            ExpiresIn=seconds,
        )
