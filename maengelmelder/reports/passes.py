"""Queueing photos for the privacy pass (the pass itself is `maengelmelder.privacy.photos`).

Every stored photo is queued once the request that stored it has committed, never run in the
request. The job travels by its path, on the jobs' slow queue: a storm of passes never delays
mails and deadline checks. A job lost here (Redis down) is caught by the privacy sweep.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..jobs import SLOW_QUEUE, Call, enqueue_all

PRIVACY_PASS = "maengelmelder.privacy.jobs.privacy_pass"


def queue_passes(photo_ids: Iterable[int]) -> bool:
    """Queue the privacy pass of each photo; whether they were handed over."""
    return enqueue_all([Call(PRIVACY_PASS, (pid,), queue=SLOW_QUEUE) for pid in photo_ids])
