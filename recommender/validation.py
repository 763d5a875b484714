"""Validation of user-supplied values that may reach SQL, S3 paths or AWS calls.

Every value is checked against a strict syntax before it is used anywhere; SQL still binds them
as parameters, this is the first of two fences.
"""

import re
from datetime import UTC, date, datetime, timedelta

from recommender.errors import InputError

ACCOUNT_ID = re.compile(r"^\d{12}$")
# Commercial, China, GovCloud, ISO and EU-sovereign partitions: `us-east-1`, `cn-north-1`,
# `us-gov-west-1`, `us-isob-east-1`, `eusc-de-east-1`; test data also uses made-up names of the
# same shape, which is fine: the syntax is what keeps them out of SQL and paths.
REGION = re.compile(r"^[a-z]{2,4}(-[a-z]{2,5})?(-[a-z]+)+-\d{1,2}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def account_id(value: str, field: str = "account") -> str:
    text = value.strip()
    if not ACCOUNT_ID.match(text):
        raise InputError(f"{field}: {value!r} is not an AWS account ID (expected 12 digits)")
    return text


def region(value: str, field: str = "region") -> str:
    text = value.strip().lower()
    if not REGION.match(text):
        raise InputError(f"{field}: {value!r} is not an AWS region name (expected e.g. eu-west-1)")
    return text


def iso_date(value: str, field: str = "date") -> date:
    text = value.strip()
    if not ISO_DATE.match(text):
        raise InputError(f"{field}: {value!r} is not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InputError(f"{field}: {value!r} is not a valid date ({error})") from None


def split_list(value: str | None) -> list[str]:
    """Comma- or whitespace-separated values, as given on the command line or in `env:`."""
    if not value:
        return []
    return [item for item in re.split(r"[\s,]+", value) if item]


def account_ids(values: list[str], field: str = "accounts") -> list[str]:
    return sorted({account_id(value, field) for value in values})


def regions(values: list[str], field: str = "regions") -> list[str]:
    return sorted({region(value, field) for value in values})


def default_window(today: date | None = None) -> tuple[date, date]:
    """The seven full UTC days before today: [today - 7, today)."""
    end = today or datetime.now(UTC).date()
    return end - timedelta(days=7), end


def window(start: str | None, end: str | None, today: date | None = None) -> tuple[date, date]:
    """A half-open UTC window [start, end) from optional ISO dates; the default is 7 days."""
    default_start, default_end = default_window(today)
    end_date = iso_date(end, "--end") if end else default_end
    if start:
        start_date = iso_date(start, "--start")
    else:
        start_date = end_date - (default_end - default_start)
    if start_date >= end_date:
        raise InputError(
            f"--start {start_date} is not before --end {end_date} (the window is [start, end))"
        )
    return start_date, end_date
