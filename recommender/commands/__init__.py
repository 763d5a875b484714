"""Subcommands of `scp-recommender`, one module each; `register` adds them to the group."""

import click


def register(group: click.Group) -> None:
    pass
