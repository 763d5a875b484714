output "role_arn" {
  description = "The repository variable SCP_RECOMMENDER_ROLE_ARN."
  value       = aws_iam_role.workflow.arn
}

output "region" {
  description = "The repository variable AWS_REGION."
  value       = local.region
}

output "workgroup" {
  description = "athena.workgroup in scp-recommender.toml."
  value       = aws_athena_workgroup.this.name
}

output "output_location" {
  description = "athena.output_location in scp-recommender.toml."
  value       = "s3://${aws_s3_bucket.results.bucket}"
}

output "oidc_provider_arn" {
  description = "GitHub's OIDC provider that the role trusts (created here or given)."
  value       = local.oidc_provider
}

output "settings" {
  description = "The [athena] section of scp-recommender.toml, to paste as it is."
  value = join("\n", compact([
    "[athena]",
    "region = \"${local.region}\"",
    "workgroup = \"${aws_athena_workgroup.this.name}\"",
    "database = \"${aws_glue_catalog_database.this.name}\"",
    "table = \"${aws_glue_catalog_table.cloudtrail.name}\"",
    "trail_location = \"s3://${var.trail_bucket}/${var.trail_prefix}\"",
    local.has_organization_id ? "organization_id = \"${var.organization_id}\"" : "",
    "output_location = \"s3://${aws_s3_bucket.results.bucket}\"",
    local.has_kms_key ? "kms_key_arn = \"${var.kms_key_arn}\"" : "",
  ]))
}
