"""Subcommands of `scp-recommender`, one module each; `register` adds them to the group."""

import click


def register(group: click.Group) -> None:
    from recommender.commands.iam_policy import iam_policy

    group.add_command(iam_policy)

    from recommender.commands.athena_setup import athena_setup

    group.add_command(athena_setup)

    from recommender.commands.sync_policies import sync_policies

    group.add_command(sync_policies)

    from recommender.commands.validate import validate

    group.add_command(validate)

    from recommender.commands.explain import explain

    group.add_command(explain)

    from recommender.commands.query import query

    group.add_command(query)

    from recommender.commands.classify import classify
    from recommender.commands.propose import propose
    from recommender.commands.run import run

    group.add_command(classify)
    group.add_command(propose)
    group.add_command(run)
