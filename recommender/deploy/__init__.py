"""The deployment templates' generated parts: `python -m recommender.deploy` writes them into
deploy/cloudformation/ and deploy/terraform/, `--check` tells whether they are up to date.

The IAM policy documents come from recommender.iam_policy and the table from the DDL that
`athena-setup` runs, with `{{placeholders}}` where the templates put their parameters; each
tool's module renders them in its own language (Fn::Sub and Fn::If, HCL templates and locals).
"""
