"""A phone that sends the same report twice at once (a flaky network) files it once."""

from __future__ import annotations

import threading

from tests.reports.helpers import counts, report_json


def test_simultaneous_retries_file_one_report(app):
    barrier = threading.Barrier(4)
    answers: list[tuple[int, str]] = []

    def submit() -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post(
            "/api/v1/reports",
            json=report_json(),
            headers={"Idempotency-Key": "same-key-from-a-flaky-phone"},
        )
        answers.append((resp.status_code, resp.json["report"]["public_id"]))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == 4
    assert {status for status, _ in answers} == {201}
    assert len({public_id for _, public_id in answers}) == 1
    assert counts(app)["reports"] == 1


def test_simultaneous_different_reports_get_distinct_ids(app):
    barrier = threading.Barrier(4)
    ids: list[str] = []

    def submit(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/reports", json=report_json(description=f"Loch {i}"))
        assert resp.status_code == 201, resp.json
        ids.append(resp.json["report"]["public_id"])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(ids) == [f"2026-00000{i}" for i in range(1, 5)]
