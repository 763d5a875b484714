"""Shared fixtures. Real records and policies come from ../shared/data, or where it is absent
from the copies in tests/data (their sources and licences in tests/data/SOURCES.md). Tests that
read a file only ../shared/data holds carry the `shared_data` marker and are skipped where that
folder is absent: loudly, as a warning in the summary line, where `CI` is set.

Hypothesis budgets come from the profile named by `HYPOTHESIS_PROFILE` (the fuzz targets in
tests/fuzz/ set none of their own): "ci" by default (`make test`: all the fuzz targets together
well under a minute), "fuzz" for `make fuzz`, where tests/fuzz/conftest.py repeats each target
in batches of this many examples for its share of the time. No deadline: the machine is shared.
"""

import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile(
    "fuzz", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
VENDORED_DATA = ROOT / "tests" / "data"


def real_data() -> Path:
    """The folder of real records and policies: ../shared/data, or the copies in tests/data."""
    return SHARED_DATA if SHARED_DATA.is_dir() else VENDORED_DATA


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"{SHARED_DATA} is absent")
    needing = [item for item in items if "shared_data" in item.keywords]
    for item in needing:
        item.add_marker(skip)
    if needing and os.environ.get("CI"):
        warnings.warn(
            f"{SHARED_DATA} is absent: {len(needing)} tests that need it are skipped",
            pytest.PytestWarning,
            stacklevel=1,
        )


@pytest.fixture
def shared_data() -> Path:
    return real_data()


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials and no endpoint overrides, so that boto3 under moto never reaches AWS
    nor a profile of the machine; returns the region set."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return "us-east-1"
