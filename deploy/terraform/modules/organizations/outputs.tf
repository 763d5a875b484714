output "read_role_arn" {
  description = "The role that `sync-policies --check` assumes (null when not created)."
  value       = try(aws_iam_role.this["read"].arn, null)
}

output "apply_role_arn" {
  description = "The role of the apply workflow (null when not created)."
  value       = try(aws_iam_role.this["apply"].arn, null)
}
