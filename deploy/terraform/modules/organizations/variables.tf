# The same parameters as deploy/cloudformation/scp-recommender-organizations.yaml.

variable "repository" {
  description = "The GitHub repository that holds the SCPs and runs the workflows (owner/name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.repository))
    error_message = "repository: expected owner/name."
  }
}

variable "branch" {
  description = "The branch whose workflow runs may assume the read-only role."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,255}$", var.branch)) && !strcontains(var.branch, "..")
    error_message = "branch: expected a branch name."
  }
}

variable "environment" {
  description = "A GitHub environment instead of the branch for the read-only role. \"\": the branch."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[A-Za-z0-9._ -]{0,255}$", var.environment))
    error_message = "environment: expected an environment name, or \"\"."
  }
}

variable "owner_id" {
  description = "Repositories created since 15 July 2026: the owner's numeric id. \"\" otherwise."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([1-9][0-9]{0,19})?$", var.owner_id))
    error_message = "owner_id: expected a numeric id, or \"\"."
  }
}

variable "repository_id" {
  description = "With owner_id, the repository's numeric id."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([1-9][0-9]{0,19})?$", var.repository_id))
    error_message = "repository_id: expected a numeric id, or \"\"."
  }
}

variable "oidc_provider_arn" {
  description = "The ARN of this account's GitHub OIDC provider when it exists already; \"\" to create it."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com)?$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn: expected the ARN of token.actions.githubusercontent.com's provider, or \"\"."
  }
}

variable "create_read_role" {
  description = "Create the read-only role of `sync-policies --check`."
  type        = bool
  default     = true
}

variable "create_apply_role" {
  description = "Create the role of the opt-in apply workflow (creates, updates, attaches and detaches SCPs); only jobs in apply_environment may assume it."
  type        = bool
  default     = false
}

variable "apply_environment" {
  description = "The GitHub environment of the apply job (give it required reviewers)."
  type        = string
  default     = "scp-recommender-apply"

  validation {
    condition     = can(regex("^[A-Za-z0-9._ -]{1,255}$", var.apply_environment))
    error_message = "apply_environment: expected an environment name."
  }
}

variable "workflow_role_arn" {
  description = "The workflow's role (the main module's role_arn) when it is in another account: the organization's resource policy then lets it read Organizations. \"\": no resource policy (an organization has at most one)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^(arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+)?$", var.workflow_role_arn))
    error_message = "workflow_role_arn: expected an IAM role ARN, or \"\"."
  }
}

variable "read_role_name" {
  description = "The name of the read-only role."
  type        = string
  default     = "scp-recommender-organizations-read"
}

variable "apply_role_name" {
  description = "The name of the apply role."
  type        = string
  default     = "scp-recommender-apply"
}

variable "tags" {
  description = "Tags of every resource that takes tags."
  type        = map(string)
  default     = {}
}
