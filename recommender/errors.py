"""One error class per pipeline stage. Each carries a one-line message for the user.

The CLI maps every `RecommenderError` to that line and exit code 2 (bad input) or 1 (failure of
an outside service); nothing else is shown, so messages must name the file, line or field and
what was expected.
"""


class RecommenderError(Exception):
    """Base class: a problem the user can fix, reported as one line."""

    exit_code = 2


class InputError(RecommenderError):
    """A malformed argument, file, row or value given by the user."""


class ConfigError(RecommenderError):
    """`scp-recommender.toml` or an environment setting is wrong."""


class PolicyError(RecommenderError):
    """A policy file or `organization.json` cannot be loaded."""


class SourceError(RecommenderError):
    """The denial source (Athena, local logs, S3) failed."""

    exit_code = 1


class PublishError(RecommenderError):
    """Publishing to GitHub failed."""

    exit_code = 1


class OutputError(InputError):
    """A file or folder a command writes cannot be written (missing folder, read-only, ...)."""


class NothingReadError(InputError):
    """The window held no CloudTrail to read: a wrong location must not pass for a clean week."""
