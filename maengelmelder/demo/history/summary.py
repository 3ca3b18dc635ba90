"""What a history wrote, as the command prints it, and when a history ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from ...clock import BERLIN


@dataclass
class Summary:
    """What a history wrote."""

    reports: int = 0
    events: int = 0
    open: int = 0
    resolved: int = 0
    met: int = 0
    followers: int = 0
    escalations: int = 0
    seconds: float = 0.0
    first_day: date | None = None
    last_day: date | None = None

    def line(self) -> dict[str, str]:
        """One line in German and one in English, as the command prints them."""
        share = 100 * self.met / self.resolved if self.resolved else 0.0
        days = f"{self.first_day:%d.%m.%Y}–{self.last_day:%d.%m.%Y}"
        return {
            "de": f"Verlauf geschrieben: {self.reports} Meldungen ({days}), {self.events} "
            f"Ereignisse, {self.open} offen, {_de(share)} % fristgerecht erledigt, "
            f"{_de(self.seconds)} s",
            "en": f"history written: {self.reports} reports ({days}), {self.events} events, "
            f"{self.open} open, {share:.1f} % resolved within the promise, {self.seconds:.1f} s",
        }


def history_end(until: date) -> datetime:
    """The instant a history ends: when the day `until` begins in Berlin (aware UTC)."""
    return datetime(until.year, until.month, until.day, tzinfo=BERLIN).astimezone(UTC)


def _de(number: float) -> str:
    return f"{number:.1f}".replace(".", ",")
