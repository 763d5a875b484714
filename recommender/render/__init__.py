"""Output formats for findings: terminal table, JSON, Markdown (the PR description)."""
