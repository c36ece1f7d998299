"""Working days: weekends and Serbian public holidays do not count."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govdoc.applications.working_days import (
    add_working_days,
    holidays,
    is_working_day,
    orthodox_easter,
    working_days_between,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2020, dt.date(2020, 4, 19)),
        (2021, dt.date(2021, 5, 2)),
        (2024, dt.date(2024, 5, 5)),
        (2025, dt.date(2025, 4, 20)),
        (2026, dt.date(2026, 4, 12)),
        (2027, dt.date(2027, 5, 2)),
    ],
)
def test_orthodox_easter(year: int, easter: dt.date) -> None:
    assert orthodox_easter(year) == easter
    assert easter.weekday() == 6


def test_the_holidays_of_2026() -> None:
    assert sorted(holidays(2026)) == [
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 2),
        dt.date(2026, 1, 7),
        dt.date(2026, 2, 15),
        dt.date(2026, 2, 16),
        dt.date(2026, 2, 17),  # Statehood Day falls on a Sunday: the Tuesday is free too
        dt.date(2026, 4, 10),  # Good Friday
        dt.date(2026, 4, 11),
        dt.date(2026, 4, 12),  # Easter
        dt.date(2026, 4, 13),  # Easter Monday
        dt.date(2026, 5, 1),
        dt.date(2026, 5, 2),
        dt.date(2026, 11, 11),
    ]


def test_easter_weekend_is_skipped() -> None:
    # Thursday 9 April 2026 + 1 working day: not Good Friday, not the weekend, not Easter Monday.
    assert add_working_days(dt.date(2026, 4, 9), 1) == dt.date(2026, 4, 14)


def test_weekends_are_skipped() -> None:
    friday = dt.date(2026, 3, 6)
    assert add_working_days(friday, 1) == dt.date(2026, 3, 9)
    assert add_working_days(friday, 5) == dt.date(2026, 3, 13)


def test_new_year_and_christmas_are_skipped() -> None:
    # Wednesday 31 December 2025 + 2: 1-2 Jan holidays, 3-4 weekend, 5 Jan, 6 Jan.
    assert add_working_days(dt.date(2025, 12, 31), 2) == dt.date(2026, 1, 6)
    # then 7 January (Orthodox Christmas) is skipped
    assert add_working_days(dt.date(2026, 1, 6), 1) == dt.date(2026, 1, 8)


def test_labour_day_on_a_weekend_is_not_moved_but_on_sunday_is() -> None:
    # 2021: 1 May Saturday, 2 May Sunday (and Easter): Monday 3 is Easter Monday, Tuesday 4 is free.
    assert not is_working_day(dt.date(2021, 5, 4))
    assert add_working_days(dt.date(2021, 4, 29), 1) == dt.date(2021, 5, 5)


def test_zero_days_is_the_day_itself_or_the_next_working_day() -> None:
    assert add_working_days(dt.date(2026, 3, 4), 0) == dt.date(2026, 3, 4)
    assert add_working_days(dt.date(2026, 11, 11), 0) == dt.date(2026, 11, 12)


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(dt.date(2026, 3, 4), -1)


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))
counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=200, deadline=None)
@given(start=dates, n=counts)
def test_the_result_is_a_working_day_exactly_n_working_days_later(start: dt.date, n: int) -> None:
    due = add_working_days(start, n)
    assert is_working_day(due)
    assert due >= start
    if n > 0:
        assert due > start
        assert working_days_between(start, due) == n


@settings(max_examples=200, deadline=None)
@given(start=dates, n=counts, more=st.integers(min_value=1, max_value=20))
def test_more_days_give_a_later_date(start: dt.date, n: int, more: int) -> None:
    # Zero days may land on the same day as one (from a holiday, both are the next working day).
    assert add_working_days(start, n) <= add_working_days(start, n + more)
    if n > 0:
        assert add_working_days(start, n) < add_working_days(start, n + more)


@settings(max_examples=100, deadline=None)
@given(year=st.integers(min_value=1900, max_value=2099))
def test_orthodox_easter_is_a_sunday_in_april_or_may(year: int) -> None:
    easter = orthodox_easter(year)
    assert easter.weekday() == 6
    assert dt.date(year, 4, 4) <= easter <= dt.date(year, 5, 8)
