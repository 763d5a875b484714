"""`pytest.raises(..., match=exactly(message))`: the whole message, not a search within it."""

import re


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"
