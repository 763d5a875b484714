"""Settings: `scp-recommender.toml` at the repository root, then environment, then flags.

Every section has defaults, so the file is optional. Unknown keys are errors: a typo in a
setting must not silently fall back to a default.
"""

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from recommender.errors import ConfigError
from recommender.models import ACTIONABLE, Category
from recommender.validation import ACCOUNT_ID, REGION

DEFAULT_FILE = "scp-recommender.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _account_id(value: str) -> str:
    text = value.strip()
    if not ACCOUNT_ID.match(text):
        raise ValueError(f"{value!r} is not an AWS account ID (expected 12 digits)")
    return text


def _region(value: str) -> str:
    text = value.strip().lower()
    if not REGION.match(text):
        raise ValueError(f"{value!r} is not an AWS region name (expected e.g. eu-west-1)")
    return text


def _proposed(value: Category) -> Category:
    if value not in ACTIONABLE:
        expected = ", ".join(sorted(ACTIONABLE))
        raise ValueError(
            f"{value.value!r} is never proposed as an edit (expected some of: {expected})"
        )
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]
Region = Annotated[str, AfterValidator(_region)]
ProposedCategory = Annotated[Category, AfterValidator(_proposed)]


class PolicySettings(Section):
    dir: str = "policies"
    size_limit: int = Field(default=10_240, gt=0)
    max_attached: int = Field(default=10, gt=0)


class QuerySettings(Section):
    engine: str = Field(default="local", pattern="^(athena|local)$")
    accounts: list[AccountId] = Field(default_factory=list)
    regions: list[Region] = Field(default_factory=list)
    # Calls made on behalf of AWS Config are noise (as in the original query).
    exclude_user_agents: list[str] = Field(default_factory=lambda: ["config.amazonaws.com"])
    principals_per_group: int = Field(default=5, gt=0)
    event_ids_per_group: int = Field(default=5, gt=0)
    # A window in which nothing was read is an error unless this says an empty week is fine.
    allow_empty: bool = False
    # Processes reading log files for the local engine; None: every core the process may use.
    workers: int | None = Field(default=None, gt=0)


class AthenaSettings(Section):
    region: str | None = None
    workgroup: str = "primary"
    catalog: str = "AwsDataCatalog"
    database: str = "scp_recommender"
    table: str = "cloudtrail_logs"
    output_location: str | None = None
    trail_location: str | None = None
    kms_key_arn: str | None = None
    organization_id: str | None = None
    cost_per_tb: float = Field(default=5.0, ge=0)
    timeout_seconds: int = Field(default=900, gt=0)


class ProposalSettings(Section):
    categories: list[ProposedCategory] = Field(default_factory=lambda: sorted(ACTIONABLE))
    # A prefix or action the IAM catalog does not know is a service newer than the catalog or a
    # forged string: proposed only when this is set, and even then only in IAM's syntax.
    allow_unknown_actions: bool = False


class RedactionSettings(Section):
    principals: bool = False


class GitHubSettings(Section):
    repository: str | None = None
    api_url: str | None = None
    branch: str = "scp-recommender/proposals"
    base: str | None = None
    labels: list[str] = Field(default_factory=lambda: ["scp-recommender"])
    evidence_path: str = "docs/scp-evidence.md"


class DriftSettings(Section):
    # Drift (AWS changed by hand since the last sync) fails the policies check of a pull request.
    fail_pull_requests: bool = False


class ApplySettings(Section):
    # `scp-recommender apply` changes AWS Organizations only when this is on.
    enabled: bool = False


class Declined(Section):
    """A proposal the reviewers declined: never proposed again while it has not expired."""

    category: Category
    value: str
    reason: str
    expires: date | None = None

    def active(self, today: date) -> bool:
        return self.expires is None or today < self.expires


class Settings(Section):
    policies: PolicySettings = Field(default_factory=PolicySettings)
    query: QuerySettings = Field(default_factory=QuerySettings)
    athena: AthenaSettings = Field(default_factory=AthenaSettings)
    proposals: ProposalSettings = Field(default_factory=ProposalSettings)
    redaction: RedactionSettings = Field(default_factory=RedactionSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)
    apply: ApplySettings = Field(default_factory=ApplySettings)
    declined: list[Declined] = Field(default_factory=list)


def _describe(error: ValidationError, source: str) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{source}: {where}: {message}"


def load_settings(path: Path | None = None) -> Settings:
    """Settings from `path`, or from `./scp-recommender.toml` when it exists, else defaults."""
    file = path or Path(DEFAULT_FILE)
    if path is None and not file.exists():
        return apply_environment(Settings())
    try:
        raw = file.read_bytes()
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: settings file not found") from None
    except OSError as error:
        raise ConfigError(f"{file}: cannot read the settings: {error.strerror}") from None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{file}:{line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); TOML is UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: invalid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{file}: invalid TOML: nested too deeply") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe(error, str(file))) from None
    return apply_environment(settings)


def apply_environment(settings: Settings) -> Settings:
    """What GitHub Actions sets fills in what the file leaves empty."""
    github = settings.github
    if not github.repository and os.environ.get("GITHUB_REPOSITORY"):
        github.repository = os.environ["GITHUB_REPOSITORY"]
    if not github.api_url and os.environ.get("GITHUB_API_URL"):
        github.api_url = os.environ["GITHUB_API_URL"]
    return settings
