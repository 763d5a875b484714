"""scp-recommender: find denied AWS calls, explain them against your SCPs, propose the edits."""

__version__ = "0.1.0"
