# scp-recommender: the Athena table over the organization trail, a workgroup with its results
# bucket, and the role the GitHub workflow assumes through OIDC. The same resources as
# deploy/cloudformation/scp-recommender.yaml; the role's policies and the table's definition are
# in generated.tf, generated from the code of `scp-recommender iam-policy` and `athena-setup`.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition        = data.aws_partition.current.partition
  account_id       = data.aws_caller_identity.current.account_id
  region           = data.aws_region.current.region
  repository_owner = split("/", var.repository)[0]
  repository_name  = split("/", var.repository)[1]

  # The conditions generated.tf refers to. As iam-policy decides: Organizations is read for an
  # organization trail or to list the accounts, the enabled regions are listed when none is named.
  has_organization_id   = var.organization_id != ""
  has_kms_key           = var.kms_key_arn != ""
  uses_environment      = var.environment != ""
  has_immutable_ids     = var.repository_id != ""
  creates_oidc_provider = var.oidc_provider_arn == ""
  is_china              = local.partition == "aws-cn"
  reads_organizations   = local.has_organization_id || length(var.query_accounts) == 0
  lists_regions         = length(var.query_regions) == 0

  workflow_permissions = {
    Version   = "2012-10-17"
    Statement = flatten([for part in local.workflow_permission_parts : part.statements if part.when])
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.creates_oidc_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = [local.audience]
  tags           = var.tags
}

resource "aws_iam_role" "workflow" {
  name                 = var.role_name
  description          = "Assumed by the scp-recommender workflow of one GitHub repository (OIDC)."
  max_session_duration = 3600
  assume_role_policy   = jsonencode(local.workflow_trust)
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = (var.owner_id == "") == (var.repository_id == "")
      error_message = "owner_id and repository_id: give both or neither."
    }
  }
}

resource "aws_iam_role_policy" "workflow" {
  name   = "scp-recommender"
  role   = aws_iam_role.workflow.id
  policy = jsonencode(local.workflow_permissions)
}

resource "aws_s3_bucket" "results" {
  bucket_prefix = "scp-recommender-results-"
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "results" {
  bucket                  = aws_s3_bucket.results.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    id     = "expire-query-results"
    status = "Enabled"

    filter {}

    expiration {
      days = var.results_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "results" {
  bucket = aws_s3_bucket.results.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.results.arn, "${aws_s3_bucket.results.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.results]
}

resource "aws_athena_workgroup" "this" {
  name          = var.workgroup_name
  description   = "scp-recommender's queries of the CloudTrail table."
  state         = "ENABLED"
  force_destroy = true
  tags          = var.tags

  configuration {
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true

    result_configuration {
      output_location = "s3://${aws_s3_bucket.results.bucket}/"

      encryption_configuration {
        encryption_option = local.has_kms_key ? "SSE_KMS" : "SSE_S3"
        kms_key_arn       = local.has_kms_key ? var.kms_key_arn : null
      }
    }
  }
}

resource "aws_glue_catalog_database" "this" {
  name        = var.database_name
  description = "scp-recommender's CloudTrail table."
}

resource "aws_glue_catalog_table" "cloudtrail" {
  name          = var.table_name
  database_name = aws_glue_catalog_database.this.name
  description   = local.cloudtrail_table.description
  table_type    = "EXTERNAL_TABLE"
  parameters    = local.cloudtrail_table.parameters

  dynamic "partition_keys" {
    for_each = local.cloudtrail_table.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = local.cloudtrail_table.location
    input_format  = local.cloudtrail_table.input_format
    output_format = local.cloudtrail_table.output_format

    ser_de_info {
      serialization_library = local.cloudtrail_table.serde
    }

    dynamic "columns" {
      for_each = local.cloudtrail_table.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
