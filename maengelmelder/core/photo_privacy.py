"""A photo's privacy pass, as the Report aggregate knows it: its states, why it failed, and
the public rule it adds (the pass itself is `maengelmelder.privacy.photos`).

`privacy_state` NULL is a photo stored before the pass existed (public by the old rule);
"pending" waits for the pass or is in it; "done" means the public files are blurred; "failed"
(with `privacy_reason`) is never public until a moderator reviewed it; "reviewed" means a
moderator had the last word.
"""

from __future__ import annotations

from sqlalchemy import or_

PENDING, DONE, FAILED, REVIEWED = "pending", "done", "failed", "reviewed"
STATES = (PENDING, DONE, FAILED, REVIEWED)
# A photo in one of these states (or NULL: from before the pass) may be public.
CLEARED = (DONE, REVIEWED)

# How often a pass may start for one photo before it counts as timed out (a killed or hung job
# starts again from the sweep), and after how long untouched a pending photo's pass counts as
# lost (killed worker, Redis down at intake, a restarted in-process runner) and is queued
# again: longer than a job's timeout. `MAENGELMELDER_PRIVACY_PASS_TRIES`, `…_STALE_SECONDS`.
DEFAULT_TRIES = 3
DEFAULT_STALE_SECONDS = 600

# Why a pass failed, as staff read it.
REASONS = {
    "model_missing": {
        "de": "Das Erkennungsmodell ist auf dem Server nicht installiert; "
        "das Foto wurde nicht automatisch unkenntlich gemacht.",
        "en": "The detection model is not installed on the server; "
        "the photo was not blurred automatically.",
    },
    "model_altered": {
        "de": "Das Erkennungsmodell auf dem Server ist verändert (Prüfsumme falsch); "
        "das Foto wurde nicht automatisch unkenntlich gemacht.",
        "en": "The detection model on the server was altered (wrong checksum); "
        "the photo was not blurred automatically.",
    },
    "timeout": {
        "de": "Die automatische Prüfung auf Gesichter und Kennzeichen wurde mehrmals "
        "abgebrochen oder hat zu lange gedauert.",
        "en": "The automatic check for faces and number plates was interrupted "
        "several times or took too long.",
    },
    "error": {
        "de": "Bei der automatischen Prüfung auf Gesichter und Kennzeichen ist ein Fehler "
        "aufgetreten.",
        "en": "The automatic check for faces and number plates failed with an error.",
    },
}


def reason_text(reason: str | None) -> dict[str, str] | None:
    """The German and English text of a failure reason (None for none)."""
    if reason is None:
        return None
    return REASONS.get(reason, REASONS["error"])


def cleared(state: str | None) -> bool:
    """Whether the pass lets a photo in this state be public."""
    return state is None or state in CLEARED


def cleared_clause(column):
    """`cleared` in SQL, for a photos' `privacy_state` column."""
    return or_(column.is_(None), column.in_(CLEARED))
