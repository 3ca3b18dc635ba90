"""A small load generator for the fault tests: client threads that record every answer.

Each thread files reports (multipart with a photo and an ``Idempotency-Key`` of its own) and
reads (the public list, one report, Open311 requests) in turn, paced at a few requests per
second so the two-core machine also has room for the server and the database. Every answer
is kept with its timing, so a test can check each one and report figures.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from tests.reports.helpers import report_json

READS = ("list", "report", "open311")


@dataclass
class Answer:
    """One request and what came back (status None: no HTTP answer at all)."""

    kind: str
    started: float
    seconds: float
    status: int | None
    key: str | None = None
    public_id: str | None = None
    retry_after: str | None = None
    body: object = None
    problem: str | None = None
    replayed: bool = False  # Idempotent-Replayed: the answer is the report filed before

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Load:
    """`threads` clients against `base_url` until stopped; `answers` in the order they came."""

    base_url: str
    photo: bytes
    threads: int = 4
    pace: float = 0.1  # seconds between two requests of one client
    timeout: float = 30
    answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.threads):
            worker = threading.Thread(target=self._client, args=(n,), name=f"load-{n}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.timeout + 5)
        assert not any(w.is_alive() for w in self._workers), "a client hangs"

    def since(self, moment: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.started >= moment]

    def public_ids(self) -> list[str]:
        with self._lock:
            return [a.public_id for a in self.answers if a.kind == "intake" and a.public_id]

    def _client(self, n: int) -> None:
        session = requests.Session()
        rng = random.Random(n)
        reads = itertools.cycle(READS)
        try:
            while not self._stop.is_set():
                self.file(session, str(uuid.uuid4()))
                self._stop.wait(self.pace)
                self.read(session, next(reads), rng)
                self._stop.wait(self.pace)
        finally:
            session.close()

    def file(self, session: requests.Session, key: str) -> Answer:
        """File one report with a photo under `key` (a retry sends the same key)."""
        fields = {k: str(v) for k, v in report_json().items()}
        return self._call(
            session,
            "intake",
            "POST",
            "/api/v1/reports",
            key=key,
            data=fields,
            files={"photos": ("pothole.jpg", self.photo, "image/jpeg")},
            headers={"Idempotency-Key": key},
        )

    def read(self, session: requests.Session, kind: str, rng: random.Random) -> Answer:
        if kind == "report" and (known := self.public_ids()):
            return self._call(session, kind, "GET", f"/api/v1/reports/{rng.choice(known)}")
        if kind == "open311":
            path = "/open311/v2/requests.json?service_code=schlagloch&page_size=20"
            return self._call(session, kind, "GET", path)
        return self._call(session, "list", "GET", "/api/v1/reports?limit=20")

    def _call(self, session, kind: str, method: str, path: str, key=None, **kwargs) -> Answer:
        started = time.monotonic()
        try:
            resp = session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            answer = Answer(kind, started, time.monotonic() - started, None, key, problem=repr(exc))
        else:
            try:
                body = resp.json()
            except ValueError:
                body = resp.text[:500]
            public_id = None
            if kind == "intake" and resp.status_code == 201:
                public_id = body["report"]["public_id"]
            answer = Answer(
                kind,
                started,
                time.monotonic() - started,
                resp.status_code,
                key,
                public_id,
                resp.headers.get("Retry-After"),
                body,
                replayed=resp.headers.get("Idempotent-Replayed") == "true",
            )
        with self._lock:
            self.answers.append(answer)
        return answer
