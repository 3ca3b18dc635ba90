"""The delivery job is enqueued when the hand-over commits (rq on Redis), and the sweep
catches a hand-over whose enqueue was lost."""

from __future__ import annotations

from maengelmelder import jobs

from .counterparts import webhook_receiver
from .helpers import deliver, destination, file_ticket, forward


def test_a_committed_hand_over_enqueues_its_delivery(app, client, admin_headers, redis_url):
    with webhook_receiver() as (url, receiver):
        hook = destination(client, admin_headers, channel="webhook", url=url)
        receiver.secret = hook["secret"]
        public_id = file_ticket(client)["report"]["public_id"]
        app.config["REDIS_URL"] = redis_url
        try:
            delivery = forward(client, admin_headers, public_id, hook["id"])["delivery"]
            with app.app_context():
                queued = [j.args for j in jobs.queue(app).jobs]
                assert ("maengelmelder.forwarding.jobs.deliver", delivery["id"]) in queued
                path, delivery_id = next(
                    a for a in queued if a[0].endswith("forwarding.jobs.deliver")
                )
                assert jobs.run(path, delivery_id)["delivered"] == 1
                assert jobs.run(path, delivery_id)["delivered"] == 0  # done is done
        finally:
            app.config.pop("REDIS_URL")
    assert len(receiver.received) == 1


def test_the_sweep_delivers_what_no_job_was_enqueued_for(app, client, admin_headers):
    # No Redis and no job thread here: nothing is enqueued at the commit.
    with webhook_receiver() as (url, receiver):
        hook = destination(client, admin_headers, channel="webhook", url=url)
        receiver.secret = hook["secret"]
        public_id = file_ticket(client)["report"]["public_id"]
        forward(client, admin_headers, public_id, hook["id"])
        assert not receiver.received
        assert deliver(app)["delivered"] == 1
    assert len(receiver.received) == 1
