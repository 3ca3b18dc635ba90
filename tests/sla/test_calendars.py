"""Calendars: the wall clock across DST, business hours with weekends, holidays and DST."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from maengelmelder.sla.calendars import (
    BusinessHours,
    Calendar,
    WallClock,
    business_hours_for,
    holidays_for,
)

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def berlin(*args: int) -> datetime:
    """A Berlin wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


# --- wall clock ---------------------------------------------------------------------------


def test_wall_clock_48h_across_spring_forward_is_48_real_hours():
    # Sat 28 March 10:00 CET + 48 h = Mon 30 March 11:00 CEST (the night lost an hour)
    due = WallClock().add(berlin(2026, 3, 28, 10), 48)
    assert due == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 30, 11)
    assert due.tzinfo is UTC


def test_wall_clock_48h_across_fall_back_is_48_real_hours():
    # Sat 24 October 10:00 CEST + 48 h = Mon 26 October 09:00 CET (the night gained an hour)
    due = WallClock().add(berlin(2026, 10, 24, 10), 48)
    assert due == datetime(2026, 10, 26, 8, tzinfo=UTC)
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 26, 9)


@pytest.mark.parametrize(
    ("created_local", "due_local"),
    [
        # created on the switch day itself, before and after the switch
        ((2026, 3, 29, 1, 30), (2026, 3, 31, 2, 30)),  # CET -> CEST
        ((2026, 3, 29, 12, 0), (2026, 3, 31, 12, 0)),  # already CEST: no shift
        ((2026, 10, 25, 1, 30), (2026, 10, 27, 0, 30)),  # CEST -> CET
        ((2026, 10, 25, 12, 0), (2026, 10, 27, 12, 0)),  # already CET: no shift
        # a deadline that lands on the switch day, coming from either side
        ((2026, 3, 27, 1, 30), (2026, 3, 29, 1, 30)),  # before the gap: unchanged
        ((2026, 3, 27, 12, 0), (2026, 3, 29, 13, 0)),  # after the gap: one hour later locally
        ((2026, 10, 23, 12, 0), (2026, 10, 25, 11, 0)),  # after the repeat: one hour earlier
    ],
)
def test_wall_clock_on_both_switch_days(created_local, due_local):
    created = berlin(*created_local)
    due = WallClock().add(created, 48)
    assert due - created == timedelta(hours=48)
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(*due_local)
    assert WallClock().counted(created, due) == timedelta(hours=48)


def test_wall_clock_counted_is_zero_backwards_and_accepts_other_zones():
    clock = WallClock()
    a = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert clock.counted(a, a - H) == timedelta(0)
    assert clock.counted(a, a) == timedelta(0)
    assert clock.add(a.astimezone(BERLIN), 1.5) == datetime(2026, 5, 1, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize("calendar", [WallClock(), BusinessHours()])
def test_naive_datetimes_are_rejected(calendar):
    naive = datetime(2026, 5, 4, 9)
    aware = naive.replace(tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.counted(naive, aware)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.counted(aware, naive)


@pytest.mark.parametrize("calendar", [WallClock(), BusinessHours()])
@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_bad_hour_amounts_are_rejected(calendar, hours):
    with pytest.raises(ValueError, match="hours"):
        calendar.add(datetime(2026, 5, 4, 9, tzinfo=UTC), hours)


def test_both_calendars_satisfy_the_protocol():
    assert isinstance(WallClock(), Calendar)
    assert isinstance(BusinessHours(), Calendar)


# --- business hours: the worked examples -----------------------------------------------------


def test_friday_afternoon_runs_into_monday():
    # Fri 15:00 + 4 h: 1 h on Friday, 3 h on Monday from 07:00
    cal = BusinessHours()
    assert cal.add(berlin(2026, 5, 8, 15), 4) == berlin(2026, 5, 11, 10)


def test_deadline_on_closing_time_is_closing_time_not_next_opening():
    cal = BusinessHours()
    assert cal.add(berlin(2026, 5, 8, 15), 1) == berlin(2026, 5, 8, 16)


def test_created_on_saturday_starts_counting_monday_at_opening():
    cal = BusinessHours()
    assert cal.add(berlin(2026, 5, 9, 11, 23), 2) == berlin(2026, 5, 11, 9)
    assert cal.counted(berlin(2026, 5, 9, 11), berlin(2026, 5, 11, 7)) == timedelta(0)


@pytest.mark.parametrize(
    ("created", "due"),
    [
        ((2026, 5, 5, 16, 0), (2026, 5, 6, 9, 0)),  # exactly at closing
        ((2026, 5, 5, 21, 45), (2026, 5, 6, 9, 0)),  # evening
        ((2026, 5, 6, 3, 0), (2026, 5, 6, 9, 0)),  # early morning, same day
        ((2026, 5, 6, 7, 0), (2026, 5, 6, 9, 0)),  # exactly at opening
    ],
)
def test_outside_opening_hours_counting_starts_at_next_opening(created, due):
    assert BusinessHours().add(berlin(*created), 2) == berlin(*due)


def test_easter_weekend_in_hessen():
    # Thu 2 April 15:00 + 2 h: 1 h Thursday; Good Friday, the weekend and Easter Monday are
    # closed; 1 h on Tuesday 7 April from 07:00.
    cal = BusinessHours("HE")
    assert cal.add(berlin(2026, 4, 2, 15), 2) == berlin(2026, 4, 7, 8)
    assert not cal.is_working_day(date(2026, 4, 3))
    assert not cal.is_working_day(date(2026, 4, 6))


def test_corpus_christi_counts_in_bremen_but_not_in_hessen():
    # Wed 3 June 2026 15:00 + 2 h; Thu 4 June is Fronleichnam, a holiday in HE, not in HB.
    start = berlin(2026, 6, 3, 15)
    assert BusinessHours("HE").add(start, 2) == berlin(2026, 6, 5, 8)
    assert BusinessHours("HB").add(start, 2) == berlin(2026, 6, 4, 8)
    day = (berlin(2026, 6, 4, 0), berlin(2026, 6, 5, 0))
    assert BusinessHours("HE").counted(*day) == timedelta(0)
    assert BusinessHours("HB").counted(*day) == timedelta(hours=9)


def test_reformation_day_and_state_holiday_sets_differ():
    assert date(2026, 10, 31) in holidays_for("HB", 2026)
    assert date(2026, 10, 31) not in holidays_for("HE", 2026)
    assert date(2026, 6, 4) in holidays_for("NW", 2026)
    assert date(2026, 8, 15) in holidays_for("Augsburg", 2026)  # Maria Himmelfahrt
    assert holidays_for("BY", 2026) is holidays_for("BY", 2026)  # cached per year


def test_48_business_hours_are_a_bit_more_than_five_working_days():
    # Mon 4 May 07:00 + 48 h = 5 full days (45 h) + 3 h on Mon 11 May
    cal = BusinessHours()
    assert cal.add(berlin(2026, 5, 4, 7), 48) == berlin(2026, 5, 11, 10)


def test_business_hours_across_spring_forward_open_at_local_seven():
    # Fri 27 March 15:00 CET (14:00 UTC) + 4 h = Mon 30 March 10:00 CEST (08:00 UTC)
    cal = BusinessHours()
    due = cal.add(berlin(2026, 3, 27, 15), 4)
    assert due == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert cal.window(date(2026, 3, 27)) == (
        datetime(2026, 3, 27, 6, tzinfo=UTC),
        datetime(2026, 3, 27, 15, tzinfo=UTC),
    )
    assert cal.window(date(2026, 3, 30)) == (
        datetime(2026, 3, 30, 5, tzinfo=UTC),
        datetime(2026, 3, 30, 14, tzinfo=UTC),
    )


def test_business_hours_across_fall_back_open_at_local_seven():
    # Fri 23 October 15:00 CEST (13:00 UTC) + 4 h = Mon 26 October 10:00 CET (09:00 UTC)
    cal = BusinessHours()
    assert cal.add(berlin(2026, 10, 23, 15), 4) == datetime(2026, 10, 26, 9, tzinfo=UTC)


@pytest.mark.parametrize("switch_day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_a_working_day_on_the_switch_day_still_counts_nine_hours(switch_day):
    every_day = BusinessHours(weekdays=range(7))
    start = datetime.combine(switch_day, time(0), BERLIN)
    end = datetime.combine(switch_day + timedelta(days=1), time(0), BERLIN)
    assert every_day.counted(start, end) == timedelta(hours=9)
    assert every_day.add(start, 9) == datetime.combine(switch_day, time(16), BERLIN)


@pytest.mark.parametrize(
    ("switch_day", "real_hours"), [(date(2026, 3, 29), 5), (date(2026, 10, 25), 7)]
)
def test_a_window_spanning_the_switch_counts_real_elapsed_time(switch_day, real_hours):
    night = BusinessHours(opens=time(0), closes=time(6), weekdays=range(7))
    start = datetime.combine(switch_day, time(0), BERLIN)
    end = datetime.combine(switch_day, time(12), BERLIN)
    assert night.counted(start, end) == timedelta(hours=real_hours)


def test_configurable_hours_weekdays_and_extra_closed_days():
    cal = BusinessHours(
        opens=time(8, 30),
        closes=time(12),
        weekdays={0, 2},  # Monday and Wednesday only
        extra_closed_days={date(2026, 5, 6)},  # staff outing on Wednesday
    )
    # Mon 4 May 11:00 + 2 h: 1 h Monday; Wednesday closed; 1 h on Mon 11 May from 08:30
    assert cal.add(berlin(2026, 5, 4, 11), 2) == berlin(2026, 5, 11, 9, 30)


def test_another_time_zone_can_be_used():
    cal = BusinessHours(tz="UTC")
    assert cal.add(datetime(2026, 5, 8, 15, tzinfo=UTC), 4) == datetime(2026, 5, 11, 10, tzinfo=UTC)


@pytest.mark.parametrize("state", ["XX", "he", "Hesse", "", "DE"])
def test_unknown_state_is_a_value_error_naming_it(state):
    with pytest.raises(ValueError, match=f"unknown German state '{state}'"):
        BusinessHours(state)
    with pytest.raises(ValueError, match=f"unknown German state '{state}'"):
        business_hours_for(state)


def test_state_names_are_accepted_as_aliases_of_their_codes():
    assert BusinessHours("Hessen").state == "HE"
    assert BusinessHours("Bremen").add(berlin(2026, 6, 3, 15), 2) == berlin(2026, 6, 4, 8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"opens": time(16), "closes": time(7)}, "before"),
        ({"opens": time(9), "closes": time(9)}, "before"),
        ({"weekdays": set()}, "weekdays"),
        ({"weekdays": {0, 7}}, "weekdays"),
        ({"tz": "Europe/Atlantis"}, "time zone"),
    ],
)
def test_invalid_configuration_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BusinessHours(**kwargs)


def test_business_hours_for_shares_one_instance_per_state():
    assert business_hours_for("HE") is business_hours_for("HE")
    assert business_hours_for("HE") is not business_hours_for("BY")
    assert business_hours_for("BY").state == "BY"


# --- behaviour: consistency, earliest instant, no minute loops -------------------------------


def reference_add(cal: BusinessHours, start: datetime, quarters: int) -> datetime:
    """Brute force: walk quarter-hour slots and count those that are open in local time."""
    step = timedelta(minutes=15)
    slot = start
    counted = 0
    closed = holidays.country_holidays("DE", subdiv=cal.state)  # fills in years lazily
    while True:
        local = slot.astimezone(BERLIN)
        open_ = (
            local.weekday() in cal.weekdays
            and local.date() not in closed
            and cal.opens <= local.time() < cal.closes
        )
        if open_:
            counted += 1
            if counted == quarters:
                return slot + step
        slot += step


def test_add_agrees_with_a_brute_force_reference():
    rng = random.Random(20260403)
    cal = BusinessHours("HE")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(60):
        start = base + timedelta(minutes=15 * rng.randrange(365 * 96))
        quarters = rng.randrange(1, 60 * 4)
        assert cal.add(start, quarters / 4) == reference_add(cal, start, quarters), start


CALENDARS = [
    WallClock(),
    BusinessHours("HE"),
    BusinessHours("BY", opens=time(6, 15), closes=time(18, 40), weekdays={0, 1, 2, 3, 4, 5}),
    BusinessHours("NW", opens=time(0), closes=time(5), weekdays=range(7)),  # spans DST gaps
]
CALENDAR_IDS = ["wall", "HE", "BY-six-days", "NW-night"]


@pytest.mark.parametrize("cal", CALENDARS, ids=CALENDAR_IDS)
def test_counted_inverts_add_over_random_starts_and_hours(cal):
    rng = random.Random(48)
    base = datetime(2025, 12, 20, tzinfo=UTC)
    for _ in range(400):
        start = base + timedelta(
            seconds=rng.randrange(500 * 86400), microseconds=rng.randrange(10**6)
        )
        hours = rng.choice([rng.uniform(0, 200), float(rng.randrange(1, 60)), rng.uniform(0, 1)])
        due = cal.add(start, hours)
        assert due >= start
        assert cal.counted(start, due) == timedelta(hours=hours), (start, hours)
        if hours:
            # earliest: one microsecond earlier the promised time is not yet used up
            assert cal.counted(start, due - timedelta(microseconds=1)) < timedelta(hours=hours)


@pytest.mark.parametrize("cal", CALENDARS, ids=CALENDAR_IDS)
def test_counted_is_additive_over_a_split_point(cal):
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(200):
        a, b, c = sorted(base + timedelta(minutes=rng.randrange(400 * 1440)) for _ in range(3))
        assert cal.counted(a, c) == cal.counted(a, b) + cal.counted(b, c)
        assert cal.counted(c, a) == timedelta(0)


def test_ten_thousand_business_hours_walks_days_not_minutes():
    # 10,000 h = 1,111 full working days of 9 h + 1 h on the next working day.
    cal = BusinessHours("HE")
    start = berlin(2026, 1, 5, 7)  # Monday, a working day
    due = cal.add(start, 10_000)
    day, working_days = date(2026, 1, 5), 0
    closed = holidays.country_holidays("DE", subdiv="HE")
    while True:
        if day.weekday() < 5 and day not in closed:
            working_days += 1
            if working_days == 1112:
                break
        day += timedelta(days=1)
    assert due == datetime.combine(day, time(8), BERLIN)
    assert cal.counted(start, due) == timedelta(hours=10_000)


def test_window_cache_is_bounded(monkeypatch):
    from maengelmelder.sla import calendars

    monkeypatch.setattr(calendars, "_WINDOW_CACHE_LIMIT", 50)
    cal = BusinessHours()
    cal.add(berlin(2026, 1, 5, 7), 2_000)
    assert len(cal._windows) <= 50
