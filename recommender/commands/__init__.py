"""Subcommands of `scp-recommender`, one module each; `register` adds them to the group."""

import click


def register(group: click.Group) -> None:
    from recommender.commands.iam_policy import iam_policy

    group.add_command(iam_policy)
