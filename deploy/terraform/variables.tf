# The same parameters as deploy/cloudformation/scp-recommender.yaml; an optional text is "" when
# not given, as there.

variable "trail_bucket" {
  description = "The bucket the organization trail writes to (its name, without s3://)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.trail_bucket))
    error_message = "trail_bucket: expected an S3 bucket name."
  }
}

variable "trail_prefix" {
  description = "The trail's S3 key prefix ending with \"/\" (the folder above AWSLogs/); \"\" when AWSLogs/ is at the top of the bucket."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z0-9_=-][A-Za-z0-9_.=-]*/)*$", var.trail_prefix))
    error_message = "trail_prefix: expected \"\" or folders ending with \"/\"."
  }
}

variable "organization_id" {
  description = "The organization id (o-...) of an organization trail (AWSLogs/<organization id>/...); \"\" for a one-account trail."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(o-[a-z0-9]{10,32})?$", var.organization_id))
    error_message = "organization_id: expected o- and 10 to 32 letters or digits, or \"\"."
  }
}

variable "kms_key_arn" {
  description = "The KMS key (key ARN, not an alias) that encrypts the trail; the role may decrypt with it and Athena encrypts its results with it. \"\": none."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+)?$", var.kms_key_arn))
    error_message = "kms_key_arn: expected a KMS key ARN (not an alias), or \"\"."
  }
}

variable "repository" {
  description = "The GitHub repository that holds the SCPs and runs the workflow (owner/name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.repository))
    error_message = "repository: expected owner/name."
  }
}

variable "branch" {
  description = "The branch whose workflow runs may assume the role (the default branch)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,255}$", var.branch)) && !strcontains(var.branch, "..")
    error_message = "branch: expected a branch name."
  }
}

variable "environment" {
  description = "A GitHub environment instead of the branch: only jobs in it may assume the role. \"\": the branch."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9._ -]{0,255}$", var.environment))
    error_message = "environment: expected an environment name, or \"\"."
  }
}

variable "owner_id" {
  description = "Repositories created since 15 July 2026 (immutable ids in the OIDC subject): the owner's numeric id (gh api repos/OWNER/NAME --jq .owner.id). \"\" otherwise."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([1-9][0-9]{0,19})?$", var.owner_id))
    error_message = "owner_id: expected a numeric id, or \"\"."
  }
}

variable "repository_id" {
  description = "With owner_id, the repository's numeric id (gh api repos/OWNER/NAME --jq .id)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([1-9][0-9]{0,19})?$", var.repository_id))
    error_message = "repository_id: expected a numeric id, or \"\"."
  }
}

variable "oidc_provider_arn" {
  description = "The ARN of the account's GitHub OIDC provider when it exists already; \"\" to create it."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com)?$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn: expected the ARN of token.actions.githubusercontent.com's provider, or \"\"."
  }
}

variable "query_accounts" {
  description = "The accounts the workflow queries, as scp-recommender.toml's query.accounts. Empty: every active account (the role may then list them)."
  type        = list(string)
  default     = []
}

variable "query_regions" {
  description = "The regions the workflow queries, as query.regions. Empty: the regions enabled in the account (the role may then list them)."
  type        = list(string)
  default     = []
}

variable "role_name" {
  description = "The name of the workflow's role."
  type        = string
  default     = "scp-recommender"
}

variable "workgroup_name" {
  description = "The Athena workgroup the workflow's queries run in."
  type        = string
  default     = "scp-recommender"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.workgroup_name))
    error_message = "workgroup_name: expected letters, digits, . _ or -."
  }
}

variable "database_name" {
  description = "The Glue database of the CloudTrail table."
  type        = string
  default     = "scp_recommender"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name: expected lower-case letters, digits or _."
  }
}

variable "table_name" {
  description = "The CloudTrail table."
  type        = string
  default     = "cloudtrail_logs"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.table_name))
    error_message = "table_name: expected lower-case letters, digits or _."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query of the workgroup that scans more bytes than this (default 1 TiB, about 5 USD at the list price); lower it to what a week of your trail holds."
  type        = number
  default     = 1099511627776

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10000000
    error_message = "bytes_scanned_cutoff_per_query: Athena's minimum is 10 MB (10000000)."
  }
}

variable "results_retention_days" {
  description = "Days the query results are kept in the results bucket."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags of every resource that takes tags."
  type        = map(string)
  default     = {}
}
