"""The deadline engine: policies, deadlines, pauses, states and the stored-timestamp shortcut."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maengelmelder.sla.engine import (
    BusinessHours,
    Pause,
    Policy,
    Schedule,
    WallClock,
    at_risk_at,
    calendar_for,
    deadline,
    resolve_policy,
    schedule,
    sla_state,
    state_from_timestamps,
    time_left,
    used_time,
)

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
US = timedelta(microseconds=1)
T0 = datetime(2026, 5, 4, 8, tzinfo=UTC)  # Monday 10:00 Berlin
WALL = WallClock()
HESSEN = BusinessHours("HE")
WALL_48 = Policy()
BUSINESS_48 = Policy(calendar="business")


def berlin(*args: int) -> datetime:
    """A Berlin wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


# --- policies ------------------------------------------------------------------------------


def test_policy_defaults_are_the_48h_promise():
    assert Policy() == Policy(
        hours=48, calendar="wall", pause_when_waiting=True, at_risk_share=0.25
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hours": 0},
        {"hours": -4},
        {"hours": float("nan")},
        {"hours": float("inf")},
        {"calendar": "lunar"},
        {"at_risk_share": -0.1},
        {"at_risk_share": 1.5},
        {"at_risk_share": float("nan")},
    ],
)
def test_invalid_policies_are_rejected(kwargs):
    with pytest.raises(ValueError):
        Policy(**kwargs)


def test_category_hours_apply_to_the_default_policy():
    assert resolve_policy(24) == Policy(hours=24)
    default = Policy(calendar="business", at_risk_share=0.5)
    assert resolve_policy(72, default=default) == Policy(
        hours=72, calendar="business", at_risk_share=0.5
    )


def test_department_policy_beats_category_hours():
    department = Policy(hours=96, calendar="business", pause_when_waiting=False)
    assert resolve_policy(24, department_policy=department) == department


def test_priority_beats_department_but_keeps_its_calendar():
    department = Policy(hours=96, calendar="business", pause_when_waiting=False)
    policy = resolve_policy(24, priority_hours=8, department_policy=department)
    assert policy == Policy(hours=8, calendar="business", pause_when_waiting=False)


def test_routing_rule_beats_everything():
    department = Policy(hours=96, calendar="business")
    assert resolve_policy(24, rule_hours=4, priority_hours=8, department_policy=department) == (
        Policy(hours=4, calendar="business")
    )
    assert resolve_policy(24, rule_hours=4) == Policy(hours=4)
    assert resolve_policy(24, priority_hours=8) == Policy(hours=8)


@pytest.mark.parametrize(
    "kwargs", [{"rule_hours": 0}, {"priority_hours": -1}, {"rule_hours": float("nan")}]
)
def test_invalid_override_hours_are_rejected(kwargs):
    with pytest.raises(ValueError, match="hours"):
        resolve_policy(24, **kwargs)


def test_calendar_for_picks_and_caches_calendars():
    assert isinstance(calendar_for(WALL_48, "HE"), WallClock)
    business = calendar_for(BUSINESS_48, "HE")
    assert isinstance(business, BusinessHours)
    assert business.state == "HE"
    assert calendar_for(Policy(hours=4, calendar="business"), "HE") is business
    assert calendar_for(BUSINESS_48, "BY") is not business
    with pytest.raises(ValueError, match="'XX'"):
        calendar_for(BUSINESS_48, "XX")


# --- deadlines without pauses -------------------------------------------------------------


def test_wall_deadline_across_spring_forward():
    due = deadline(berlin(2026, 3, 28, 10), WALL_48, WALL)
    assert due == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_wall_deadline_across_fall_back():
    assert deadline(berlin(2026, 10, 24, 10), WALL_48, WALL) == berlin(2026, 10, 26, 9)


def test_business_deadlines():
    friday = berlin(2026, 5, 8, 15)
    assert deadline(friday, Policy(hours=4, calendar="business"), HESSEN) == berlin(2026, 5, 11, 10)
    assert deadline(berlin(2026, 5, 4, 7), BUSINESS_48, HESSEN) == berlin(2026, 5, 11, 10)
    # at risk after 36 business hours: 4 full days
    assert at_risk_at(berlin(2026, 5, 4, 7), BUSINESS_48, HESSEN) == berlin(2026, 5, 7, 16)


def test_at_risk_share_is_configurable():
    assert at_risk_at(T0, Policy(at_risk_share=0.5), WALL) == T0 + 24 * H
    assert at_risk_at(T0, Policy(at_risk_share=0), WALL) == deadline(T0, WALL_48, WALL)
    assert at_risk_at(T0, Policy(at_risk_share=1), WALL) == T0


def test_naive_inputs_are_rejected():
    naive = datetime(2026, 5, 4, 8)
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(naive, WALL_48, WALL)
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_state(naive, T0, WALL_48, WALL)
    with pytest.raises(ValueError, match="timezone-aware"):
        Pause(naive, None)
    with pytest.raises(ValueError, match="timezone-aware"):
        Pause(T0, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        state_from_timestamps(T0, deadline=naive, at_risk_at=None, resolved_at=None)


# --- pauses -------------------------------------------------------------------------------


def test_a_pause_on_the_wall_clock_pushes_the_deadline_by_its_length():
    pause = Pause(T0 + 5 * H, T0 + 15 * H)
    assert deadline(T0, WALL_48, WALL, [pause]) == T0 + 58 * H
    assert at_risk_at(T0, WALL_48, WALL, [pause]) == T0 + 46 * H


def test_on_business_hours_only_the_business_hours_inside_a_pause_are_added():
    # Fri 14:00 + 4 h would be Mon 09:00. Paused Fri 15:00 – Mon 09:00: 3 business hours
    # (1 on Friday, 2 on Monday) are paused, not the 66 real hours.
    policy = Policy(hours=4, calendar="business")
    created = berlin(2026, 5, 8, 14)
    assert deadline(created, policy, HESSEN) == berlin(2026, 5, 11, 9)
    pause = Pause(berlin(2026, 5, 8, 15), berlin(2026, 5, 11, 9))
    assert deadline(created, policy, HESSEN, [pause]) == berlin(2026, 5, 11, 12)
    weekend = Pause(berlin(2026, 5, 8, 16), berlin(2026, 5, 11, 7))
    assert deadline(created, policy, HESSEN, [weekend]) == berlin(2026, 5, 11, 9)


def test_overlapping_unsorted_pauses_are_merged():
    pauses = [
        Pause(T0 + 20 * H, T0 + 21 * H),
        Pause(T0 + 12 * H, T0 + 14 * H),
        Pause(T0 + 10 * H, T0 + 13 * H),
        Pause(T0 + 11 * H, T0 + 12 * H),  # inside another
        Pause(T0 + 21 * H, T0 + 22 * H),  # touching
    ]
    # paused 10–14 and 20–22: six hours in all, not the 9 the raw lengths add up to
    assert deadline(T0, WALL_48, WALL, pauses) == T0 + 54 * H
    assert used_time(T0 + 30 * H, T0, WALL_48, WALL, pauses) == 24 * H


def test_pauses_before_creation_are_ignored_and_straddling_ones_clipped():
    before = Pause(T0 - 10 * H, T0 - 2 * H)
    straddling = Pause(T0 - 10 * H, T0 + 3 * H)
    assert deadline(T0, WALL_48, WALL, [before]) == T0 + 48 * H
    assert deadline(T0, WALL_48, WALL, [straddling]) == T0 + 51 * H


def test_pauses_after_the_deadline_change_nothing():
    due = T0 + 48 * H
    assert deadline(T0, WALL_48, WALL, [Pause(due, due + 5 * H)]) == due
    assert deadline(T0, WALL_48, WALL, [Pause(due + H, due + 5 * H)]) == due


def test_an_open_pause_hides_the_deadline():
    pauses = [Pause(T0 + 2 * H, T0 + 3 * H), Pause(T0 + 40 * H, None)]
    assert deadline(T0, WALL_48, WALL, pauses) is None
    # the at-risk point (36 counted hours) had passed before the pause began
    assert at_risk_at(T0, WALL_48, WALL, pauses) == T0 + 37 * H
    assert schedule(T0, WALL_48, WALL, pauses) == Schedule(None, T0 + 37 * H, paused=True)
    now = T0 + 100 * H
    assert sla_state(now, T0, WALL_48, WALL, pauses=pauses) == "paused"
    assert time_left(now, T0, WALL_48, WALL, pauses=pauses) is None


def test_an_open_pause_after_the_breach_does_not_hide_it():
    pauses = [Pause(T0 + 50 * H, None)]
    assert deadline(T0, WALL_48, WALL, pauses) == T0 + 48 * H
    assert schedule(T0, WALL_48, WALL, pauses).paused is True
    assert sla_state(T0 + 60 * H, T0, WALL_48, WALL, pauses=pauses) == "breached"
    # the clock stands still during the pause: two hours over, no matter how late it is
    assert time_left(T0 + 60 * H, T0, WALL_48, WALL, pauses=pauses) == -2 * H


def test_pauses_are_ignored_when_the_policy_says_so():
    policy = Policy(pause_when_waiting=False)
    pauses = [Pause(T0 + 5 * H, T0 + 15 * H), Pause(T0 + 20 * H, None)]
    assert deadline(T0, policy, WALL, pauses) == T0 + 48 * H
    assert sla_state(T0 + 30 * H, T0, policy, WALL, pauses=pauses) == "ok"
    assert time_left(T0 + 30 * H, T0, policy, WALL, pauses=pauses) == 18 * H


def test_a_pause_ending_before_it_starts_is_rejected():
    with pytest.raises(ValueError, match="before it starts"):
        Pause(T0, T0 - H)


def quarter_reference_deadline(created: datetime, hours: int, pauses: list[Pause]) -> datetime:
    """Brute force on the wall clock: count quarter hours not inside any raw pause."""
    step = timedelta(minutes=15)
    slot, counted = created, 0
    while True:
        paused = any(p.start <= slot and (p.end is None or slot < p.end) for p in pauses)
        if not paused:
            counted += 1
            if counted == hours * 4:
                return slot + step
        slot += step


def test_random_closed_pauses_agree_with_a_brute_force_reference():
    rng = random.Random(1048)
    for _ in range(150):
        pauses = []
        for _ in range(rng.randrange(0, 6)):
            start = T0 + timedelta(minutes=15 * rng.randrange(-40, 300))
            pauses.append(Pause(start, start + timedelta(minutes=15 * rng.randrange(0, 60))))
        hours = rng.randrange(1, 60)
        policy = Policy(hours=hours)
        due = deadline(T0, policy, WALL, pauses)
        assert due == quarter_reference_deadline(T0, hours, pauses), pauses
        assert used_time(due, T0, policy, WALL, pauses) == hours * H


def test_random_pauses_on_business_hours_use_exactly_the_promise_at_the_deadline():
    rng = random.Random(4711)
    for _ in range(150):
        created = T0 + timedelta(minutes=rng.randrange(20 * 1440))
        pauses = []
        for _ in range(rng.randrange(0, 5)):
            start = created + timedelta(minutes=rng.randrange(-600, 10 * 1440))
            pauses.append(Pause(start, start + timedelta(minutes=rng.randrange(0, 3 * 1440))))
        due = deadline(created, BUSINESS_48, HESSEN, pauses)
        assert used_time(due, created, BUSINESS_48, HESSEN, pauses) == 48 * H
        assert used_time(due - US, created, BUSINESS_48, HESSEN, pauses) < 48 * H


# --- states -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-H, "ok"),  # clock skew: "now" slightly before creation
        (timedelta(0), "ok"),
        (36 * H - US, "ok"),
        (36 * H, "at_risk"),  # 75 % used
        (48 * H, "at_risk"),  # the deadline itself is not yet a breach
        (48 * H + US, "breached"),
        (500 * H, "breached"),
    ],
)
def test_open_ticket_goes_ok_at_risk_breached(offset, expected):
    assert sla_state(T0 + offset, T0, WALL_48, WALL) == expected


@pytest.mark.parametrize(
    ("resolved_offset", "expected"),
    [(H, "met"), (47 * H, "met"), (48 * H, "met"), (48 * H + US, "missed"), (90 * H, "missed")],
)
def test_resolved_ticket_is_met_or_missed(resolved_offset, expected):
    resolved = T0 + resolved_offset
    # the answer does not depend on when we look
    for now in (resolved, resolved + 1000 * H):
        assert sla_state(now, T0, WALL_48, WALL, resolved_at=resolved) == expected


def test_resolved_while_paused_is_met():
    pauses = [Pause(T0 + 10 * H, None)]
    resolved = T0 + 200 * H
    assert sla_state(T0 + 300 * H, T0, WALL_48, WALL, pauses=pauses, resolved_at=resolved) == "met"
    assert time_left(T0 + 300 * H, T0, WALL_48, WALL, pauses=pauses, resolved_at=resolved) == (
        38 * H
    )


def test_business_states_follow_counted_time():
    created = berlin(2026, 5, 4, 7)  # Monday opening; at risk Thu 16:00, due Mon 11 May 10:00
    assert sla_state(berlin(2026, 5, 7, 15, 59), created, BUSINESS_48, HESSEN) == "ok"
    assert sla_state(berlin(2026, 5, 7, 16), created, BUSINESS_48, HESSEN) == "at_risk"
    assert sla_state(berlin(2026, 5, 10, 12), created, BUSINESS_48, HESSEN) == "at_risk"
    assert sla_state(berlin(2026, 5, 11, 10, 1), created, BUSINESS_48, HESSEN) == "breached"
    # five full days used by Friday evening; the weekend costs nothing
    assert time_left(berlin(2026, 5, 9, 12), created, BUSINESS_48, HESSEN) == 3 * H
    assert time_left(berlin(2026, 5, 10, 20), created, BUSINESS_48, HESSEN) == 3 * H


def test_time_left_counts_down_goes_negative_and_freezes_at_resolution():
    pauses = [Pause(T0 + 2 * H, T0 + 4 * H)]
    assert time_left(T0, T0, WALL_48, WALL) == 48 * H
    assert time_left(T0 + 10 * H, T0, WALL_48, WALL, pauses=pauses) == 40 * H
    assert time_left(T0 + 53 * H, T0, WALL_48, WALL, pauses=pauses) == -3 * H
    resolved = T0 + 30 * H
    assert time_left(T0 + 99 * H, T0, WALL_48, WALL, resolved_at=resolved) == 18 * H


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"deadline": T0 + 48 * H, "at_risk_at": T0 + 36 * H, "resolved_at": None}, "ok"),
        ({"deadline": T0 + 48 * H, "at_risk_at": T0 + 10 * H, "resolved_at": None}, "at_risk"),
        ({"deadline": T0 + 10 * H, "at_risk_at": T0 + 5 * H, "resolved_at": None}, "breached"),
        ({"deadline": T0 + 20 * H, "at_risk_at": T0, "resolved_at": T0 + 20 * H}, "met"),
        ({"deadline": T0 + 10 * H, "at_risk_at": T0, "resolved_at": T0 + 11 * H}, "missed"),
        ({"deadline": None, "at_risk_at": None, "resolved_at": None, "paused": True}, "paused"),
        ({"deadline": None, "at_risk_at": T0, "resolved_at": T0 + H, "paused": True}, "met"),
        ({"deadline": T0, "at_risk_at": T0, "resolved_at": None, "paused": True}, "breached"),
        # the paused flag wins over a known future deadline (pause began exactly at it)
        (
            {"deadline": T0 + 48 * H, "at_risk_at": T0, "resolved_at": None, "paused": True},
            "paused",
        ),
    ],
)
def test_state_from_timestamps_table(kwargs, expected):
    assert state_from_timestamps(T0 + 12 * H, **kwargs) == expected


SCENARIOS = [
    (WALL_48, WALL, [], None),
    (WALL_48, WALL, [Pause(T0 + 5 * H, T0 + 15 * H)], None),
    (WALL_48, WALL, [Pause(T0 + 5 * H, T0 + 15 * H)], T0 + 57 * H),
    (WALL_48, WALL, [Pause(T0 + 5 * H, T0 + 15 * H)], T0 + 59 * H),
    (WALL_48, WALL, [Pause(T0 + 30 * H, None)], None),
    (WALL_48, WALL, [Pause(T0 + 40 * H, None)], None),
    (WALL_48, WALL, [Pause(T0 + 48 * H, None)], None),  # paused exactly at the deadline
    (WALL_48, WALL, [Pause(T0 + 60 * H, None)], None),
    (WALL_48, WALL, [Pause(T0 + 60 * H, None)], T0 + 70 * H),
    (Policy(hours=24, pause_when_waiting=False), WALL, [Pause(T0 + 3 * H, None)], None),
    (BUSINESS_48, HESSEN, [], None),
    (BUSINESS_48, HESSEN, [Pause(T0 + 20 * H, T0 + 80 * H)], None),
    (BUSINESS_48, HESSEN, [Pause(T0 + 20 * H, T0 + 80 * H)], T0 + 150 * H),
    (BUSINESS_48, HESSEN, [Pause(T0 + 90 * H, None)], None),
    (Policy(hours=8, calendar="business", at_risk_share=0.5), HESSEN, [], T0 + 30 * H),
]


@pytest.mark.parametrize(("policy", "calendar", "pauses", "resolved"), SCENARIOS)
def test_stored_timestamps_give_the_same_state_as_the_full_computation(
    policy, calendar, pauses, resolved
):
    plan = schedule(T0, policy, calendar, pauses)
    assert plan.deadline == deadline(T0, policy, calendar, pauses)
    assert plan.at_risk_at == at_risk_at(T0, policy, calendar, pauses)
    grid = [T0 + timedelta(minutes=37 * i) for i in range(-5, 500)]
    for edge in (plan.deadline, plan.at_risk_at, resolved):
        if edge is not None:
            grid += [edge - US, edge, edge + US]
    seen = set()
    for now in grid:
        full = sla_state(now, T0, policy, calendar, pauses=pauses, resolved_at=resolved)
        stored = state_from_timestamps(
            now,
            deadline=plan.deadline,
            at_risk_at=plan.at_risk_at,
            resolved_at=resolved,
            paused=plan.paused,
        )
        assert full == stored, now
        left = time_left(now, T0, policy, calendar, pauses=pauses, resolved_at=resolved)
        if full == "paused":
            assert left is None
        elif full in ("ok", "at_risk"):
            assert left >= timedelta(0)
        elif full == "breached":
            assert left <= timedelta(0)
        seen.add(full)
    assert seen  # the grid really exercised the scenario
