from datetime import date

import pytest

from recommender import validation
from recommender.errors import InputError


@pytest.mark.parametrize("value", ["123456789012", " 000000000001 "])
def test_account_ids_accepted(value: str) -> None:
    assert validation.account_id(value) == value.strip()


@pytest.mark.parametrize("value", ["12345678901", "1234567890123", "12345678901a", "1' OR '1'='1"])
def test_bad_account_ids_rejected(value: str) -> None:
    with pytest.raises(InputError, match="12 digits"):
        validation.account_id(value)


@pytest.mark.parametrize(
    "value", ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2", "us-isob-east-1"]
)
def test_regions_accepted(value: str) -> None:
    assert validation.region(value) == value


@pytest.mark.parametrize("value", ["eu-west", "eu_west_1", "x", "eu-west-1'; DROP TABLE t; --"])
def test_bad_regions_rejected(value: str) -> None:
    with pytest.raises(InputError, match="region"):
        validation.region(value)


def test_default_window_is_seven_full_days() -> None:
    assert validation.window(None, None, today=date(2026, 11, 27)) == (
        date(2026, 11, 20),
        date(2026, 11, 27),
    )


def test_window_with_only_end_keeps_seven_days() -> None:
    assert validation.window(None, "2026-01-08")[0] == date(2026, 1, 1)


@pytest.mark.parametrize("start,end", [("2026-13-01", None), ("2026/01/01", None), ("x", None)])
def test_bad_dates_rejected(start: str, end: str | None) -> None:
    with pytest.raises(InputError, match="--start"):
        validation.window(start, end)


def test_inverted_window_rejected() -> None:
    with pytest.raises(InputError, match="not before"):
        validation.window("2026-02-01", "2026-01-01")
