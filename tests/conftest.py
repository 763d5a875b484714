"""Shared fixtures. Tests that read the public data in ../shared/data carry the `shared_data`
marker and are skipped where that folder is absent."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"{SHARED_DATA} is absent")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shared_data() -> Path:
    return SHARED_DATA


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
