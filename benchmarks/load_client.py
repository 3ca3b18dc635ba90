"""The load generator of ``benchmarks/load.py``: locust users in one process, raw figures out.

Run by load.py as ``python benchmarks/load_client.py SPEC.json RESULT.json``; not meant to be
run by hand. SPEC says what to drive (``mode``), where, how hard and for how long; RESULT gets,
per request type, every response time (ms) of requests started inside the measured window, the
errors, and what the verification needs (idempotency keys answered with 201, the retries'
outcomes, tracking tokens).

Modes:

* ``mixed``: reporters post photo reports at a given total rate (multipart, phone JPEG,
  ``Idempotency-Key``; a share of them sent twice with the same key, half of those one after the
  other, half racing), readers send map, tracking and Open311 reads at a given total rate.
  Requests arrive as many phones' do: each user's requests start as a Poisson process
  (``poisson_arrivals``), so together they are one Poisson process of the asked rate, with
  enough users that each has a few seconds for a request. (Locust's ``constant_throughput``
  keeps every user at the phase it was spawned in, and locust spawns users in batches, once a
  second: the load then came as pulses of about a hundred requests at the same instant.)
* ``json_intake``, ``baseline``, ``photo_intake``: a fixed number of users post as fast as
  they can (no wait): reports without photos to the real intake, the same JSON to the baseline
  app, or photo reports.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict

import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment
from locust.exception import StopUser

SPEC: dict = {}
# name -> response times (ms) of successful and failed requests inside the window
TIMES: dict[str, list[float]] = defaultdict(list)
ERRORS: dict[str, Counter] = defaultdict(Counter)
STARTED: Counter = Counter()  # requests started inside the window, per name
ATTEMPTED: set[str] = set()  # every idempotency key sent
CREATED: dict[str, str] = {}  # idempotency key -> public id, for every 201
TRACKING: list[str] = []
PUBLIC_IDS: list[str] = []
RETRIES: list[dict] = []
WINDOW = [0.0, 0.0]  # epoch seconds: requests started in [from, until) are counted

DESCRIPTIONS = (
    "Tiefes Loch in der Fahrbahn vor Hausnummer 12, Radfahrer weichen auf den Gehweg aus.",
    "Laterne flackert seit Tagen und ist nachts ganz aus.",
    "Papierkorb an der Haltestelle quillt über.",
    "Sperrmüll am Straßenrand abgestellt, blockiert den Gehweg.",
    "Verkehrszeichen umgefahren, liegt im Grünstreifen.",
)


def on_request(request_type, name, response_time, exception, start_time=None, **_kwargs):
    if start_time is None or not WINDOW[0] <= start_time < WINDOW[1]:
        return
    TIMES[name].append(response_time)
    if exception is not None:
        ERRORS[name][_describe(exception)] += 1


def failure_text(resp) -> str:
    """'status 503', or for no answer at all the connection error."""
    if not resp.status_code:
        error = resp.request_meta.get("exception") or getattr(resp, "error", None)
        return f"no response: {_describe(error) if error else 'unknown'}"
    return f"status {resp.status_code}"


def _describe(exception) -> str:
    text = str(exception) or type(exception).__name__
    return text.splitlines()[0][:120]


def poisson_arrivals(rate: float):
    """Wait time of a user whose requests start as a Poisson process of `rate` per second.

    Each start is drawn from the previous planned start, not from the end of the last request:
    a slow answer delays this user's next request, and it catches up afterwards, so the rate
    does not fall when the server slows down (open loop, as phones do not wait for each other).
    A user more than a minute behind its plan forgets the rest of that backlog.
    """

    def wait_time(user) -> float:
        now = time.monotonic()
        due = max(getattr(user, "_next_arrival", now), now - 60.0) + random.expovariate(rate)
        user._next_arrival = due
        return max(0.0, due - now)

    return wait_time


class ArrivingAtRandom:
    """Mixed-scenario users: the first request, too, comes at a random time after spawning."""

    def on_start(self) -> None:
        super().on_start()
        gevent.sleep(self.wait_time())


def stop_when_done() -> None:
    """Start nothing after the window: the user stops, requests in flight finish and count."""
    if time.time() >= WINDOW[1]:
        raise StopUser()


def _place() -> tuple[float, float]:
    """A random point well inside the demo city (its boundary is a rough circle)."""
    min_lon, min_lat, max_lon, max_lat = SPEC["city_bbox"]
    c_lon, c_lat = (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    r_lon, r_lat = (max_lon - min_lon) / 2 * 0.6, (max_lat - min_lat) / 2 * 0.6
    while True:
        dx, dy = random.uniform(-1, 1), random.uniform(-1, 1)
        if dx * dx + dy * dy <= 1:
            return round(c_lat + dy * r_lat, 6), round(c_lon + dx * r_lon, 6)


def report_fields() -> dict:
    lat, lon = _place()
    return {
        "category": random.choice(SPEC["categories"]),
        "lat": lat,
        "lon": lon,
        "description": random.choice(DESCRIPTIONS),
        # The citizen app says how long the form was open (the intake refuses bots' speed).
        "fill_ms": random.randint(20_000, 180_000),
    }


def multipart(fields: dict, photo: bytes) -> tuple[bytes, str]:
    boundary = "----mmbench" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    head = "".join(parts) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
        f'filename="IMG_{random.randint(1000, 9999)}.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    body = head.encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def fresh_connection() -> dict[str, str]:
    """Mixed scenario: every request is another phone, on a connection of its own.

    Users there wait between requests about as long as gunicorn keeps an idle connection
    open (2 s), so reusing it would race the server's close and fail requests that never
    reached the app; phones do not share connections anyway. At full speed connections
    are never idle, and keep-alive is used.
    """
    return {"Connection": "close"} if SPEC["mode"] == "mixed" else {}


def new_key() -> str:
    return f"{SPEC['key_prefix']}{uuid.uuid4().hex}"


class Poster(FastHttpUser):
    """Posts reports; used by every mode but ``baseline``'s target is another app."""

    abstract = True
    network_timeout = 60.0
    connection_timeout = 10.0

    def post_report(self, name: str, key: str, body: bytes, content_type: str):
        ATTEMPTED.add(key)
        headers = {
            "Idempotency-Key": key,
            "Content-Type": content_type,
            "X-Device-Id": self.device,
            "Accept-Language": "de-DE,de;q=0.9",
            **fresh_connection(),
        }
        with self.client.post(
            SPEC["post_path"], data=body, headers=headers, name=name, catch_response=True
        ) as resp:
            if resp.status_code != 201:
                resp.failure(failure_text(resp))
                return None
            try:
                doc = resp.json()
            except ValueError:
                resp.failure("201 without JSON")
                return None
            resp.success()
            return resp, doc

    def on_start(self) -> None:
        self.device = uuid.uuid4().hex

    def photo_body(self, fields: dict) -> tuple[bytes, str]:
        return multipart(fields, random.choice(PHOTOS))

    def remember(self, key: str, doc: dict) -> None:
        report = doc.get("report", doc)
        public_id = report.get("public_id") or str(report.get("id"))
        CREATED[key] = public_id
        if "tracking_token" in doc:
            TRACKING.append(doc["tracking_token"])
            PUBLIC_IDS.append(public_id)


PHOTOS: list[bytes] = []


class Reporter(ArrivingAtRandom, Poster):
    """Mixed scenario: photo reports arriving at random at a given rate, some retried."""

    abstract = True

    @task
    def report(self) -> None:
        stop_when_done()
        fields = report_fields()
        body, content_type = self.photo_body(fields)
        key = new_key()
        retry = random.random() < SPEC["retry_share"]
        if retry and random.random() < 0.5:
            self.racing_retry(key, body, content_type)
            return
        got = self.post_report("POST report (photo)", key, body, content_type)
        if got is None:
            return
        _resp, doc = got
        self.remember(key, doc)
        if retry:
            again = self.post_report("POST report (retry)", key, body, content_type)
            RETRIES.append(_retry_outcome("sequential", [got, again]))

    def racing_retry(self, key: str, body: bytes, content_type: str) -> None:
        jobs = [
            gevent.spawn(self.post_report, name, key, body, content_type)
            for name in ("POST report (photo)", "POST report (retry)")
        ]
        gevent.joinall(jobs)
        answers = [job.value for job in jobs]
        outcome = _retry_outcome("racing", answers)
        RETRIES.append(outcome)
        for got in answers:
            if got is not None:
                self.remember(key, got[1])
                break


def _retry_outcome(kind: str, answers: list) -> dict:
    """Both answers must name one report and token; exactly one of them is the replay."""
    ids = [got[1]["report"]["public_id"] if got else None for got in answers]
    tokens = [got[1].get("tracking_token") if got else None for got in answers]
    replayed = [
        bool(got and got[0].headers.get("Idempotent-Replayed") == "true") for got in answers
    ]
    if None in ids:
        outcome = "no answer"  # counted as an error of its request type
    elif len(set(ids)) == 1 and len(set(tokens)) == 1 and sum(replayed) == 1:
        outcome = "same report"
    else:
        outcome = "DIFFERENT"
    return {"kind": kind, "ids": ids, "replayed": replayed, "outcome": outcome}


class Reader(ArrivingAtRandom, FastHttpUser):
    """Mixed scenario: map, tracking and Open311 reads arriving at random at a given rate."""

    abstract = True
    network_timeout = 60.0
    connection_timeout = 10.0

    def _get(self, path: str, name: str) -> None:
        stop_when_done()
        with self.client.get(
            path, name=name, headers=fresh_connection(), catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(failure_text(resp))
            else:
                resp.success()

    @task(50)
    def map_view(self) -> None:
        """The citizen app's map request: the city at start, then a zoomed-in viewport."""
        min_lon, min_lat, max_lon, max_lat = SPEC["city_bbox"]
        if random.random() < 0.1:
            box = (min_lon, min_lat, max_lon, max_lat)
        else:
            width = random.uniform(0.005, 0.03)
            height = width * 0.6
            lon = random.uniform(min_lon, max_lon - width)
            lat = random.uniform(min_lat, max_lat - height)
            box = (lon, lat, lon + width, lat + height)
        bbox = ",".join(f"{v:.6f}" for v in box)
        self._get(
            f"/api/v1/reports?format=geojson&view=map&limit=500&bbox={bbox}", "GET map (geojson)"
        )

    @task(20)
    def tracking(self) -> None:
        if not TRACKING:
            return self.map_view()
        self._get(f"/api/v1/track/{random.choice(TRACKING)}", "GET track")

    @task(15)
    def open311_list(self) -> None:
        """An integrator's polls: by category and status, what is new, or a few known ids."""
        roll = random.random()
        if roll < 0.4:
            code = random.choice(SPEC["categories"])
            query = f"service_code={code}&status=open&page_size=50"
        elif roll < 0.7 or not PUBLIC_IDS:
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 300))
            query = f"start_date={since}&page_size=100"
        else:
            ids = ",".join(random.sample(PUBLIC_IDS, min(5, len(PUBLIC_IDS))))
            query = f"service_request_id={ids}"
        self._get(f"/open311/v2/requests.json?{query}", "GET open311 requests")

    @task(15)
    def open311_one(self) -> None:
        if not PUBLIC_IDS:
            return self.map_view()
        self._get(f"/open311/v2/requests/{random.choice(PUBLIC_IDS)}.json", "GET open311 request")


class FullSpeedPoster(Poster):
    """Full speed: post without waiting, JSON or photo."""

    abstract = True
    wait_time = constant(0)

    @task
    def post(self) -> None:
        stop_when_done()
        fields = report_fields()
        key = new_key()
        if SPEC["mode"] == "photo_intake":
            body, content_type = self.photo_body(fields)
        else:
            body, content_type = json.dumps(fields).encode(), "application/json"
        got = self.post_report(SPEC["request_name"], key, body, content_type)
        if got is not None and SPEC["mode"] != "baseline":
            self.remember(key, got[1])


def user_classes() -> list[type]:
    mode = SPEC["mode"]
    host = SPEC["base_url"]
    if mode == "mixed":
        reporters, readers = SPEC["reporter_users"], SPEC["reader_users"]
        return [
            type(
                "PhotoReporter",
                (Reporter,),
                {
                    "host": host,
                    "fixed_count": reporters,
                    "wait_time": poisson_arrivals(SPEC["report_rate"] / reporters),
                },
            ),
            type(
                "MapTrackOpen311Reader",
                (Reader,),
                {
                    "host": host,
                    "fixed_count": readers,
                    "wait_time": poisson_arrivals(SPEC["read_rate"] / readers),
                },
            ),
        ]
    return [type("FullSpeed", (FullSpeedPoster,), {"host": host, "fixed_count": SPEC["users"]})]


def main() -> int:
    spec_path, result_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as fh:
        SPEC.update(json.load(fh))
    for path in SPEC.get("photos", []):
        with open(path, "rb") as fh:
            PHOTOS.append(fh.read())
    TRACKING.extend(SPEC.get("seed_tracking", []))
    PUBLIC_IDS.extend(SPEC.get("seed_public_ids", []))

    classes = user_classes()
    env = Environment(user_classes=classes)
    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    users = sum(cls.fixed_count for cls in classes)
    spawn_seconds = SPEC["spawn_seconds"]
    started = time.time()
    WINDOW[0] = started + SPEC["warmup"]
    WINDOW[1] = WINDOW[0] + SPEC["duration"]
    runner.start(users, spawn_rate=users / spawn_seconds if spawn_seconds else users)
    gevent.sleep(max(0.0, WINDOW[1] - time.time()))
    # Users start nothing new now; requests still in flight were started inside the window and
    # count, so wait for them (bounded) instead of killing them.
    drain_until = time.time() + SPEC.get("drain_seconds", 90)
    while runner.user_greenlets and time.time() < drain_until:
        gevent.sleep(0.2)
    unfinished = len(runner.user_greenlets)
    runner.quit()

    result = {
        "mode": SPEC["mode"],
        "window": list(WINDOW),
        "times": TIMES,
        "errors": {name: dict(counter) for name, counter in ERRORS.items()},
        "unfinished_users": unfinished,
        "attempted": sorted(ATTEMPTED),
        "created": CREATED,
        "retries": RETRIES,
        "tracking": TRACKING[-2000:],
        "public_ids": PUBLIC_IDS[-2000:],
    }
    with open(result_path, "w") as fh:
        json.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
