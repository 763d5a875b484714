# scp-recommender, optional: the roles of the management account (or the Organizations delegated
# administrator). The same resources as deploy/cloudformation/scp-recommender-organizations.yaml;
# the roles' policies are in generated.tf, generated from the code of `scp-recommender iam-policy`.

data "aws_partition" "current" {}

locals {
  partition        = data.aws_partition.current.partition
  repository_owner = split("/", var.repository)[0]
  repository_name  = split("/", var.repository)[1]

  # The conditions generated.tf refers to.
  uses_environment      = var.environment != ""
  has_immutable_ids     = var.repository_id != ""
  creates_oidc_provider = var.oidc_provider_arn == "" && (var.create_read_role || var.create_apply_role)
  is_china              = local.partition == "aws-cn"

  roles = merge(
    var.create_read_role ? {
      read = {
        name        = var.read_role_name
        description = "Reads the SCPs and the organization's tree for scp-recommender (OIDC)."
        trust       = local.read_trust
        policy_name = "scp-recommender-organizations-read"
        permissions = local.read_permissions
      }
    } : {},
    var.create_apply_role ? {
      apply = {
        name        = var.apply_role_name
        description = "Applies merged SCPs for scp-recommender's apply workflow (OIDC, one environment)."
        trust       = local.apply_trust
        policy_name = "scp-recommender-apply"
        permissions = local.apply_permissions
      }
    } : {},
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.creates_oidc_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = [local.audience]
  tags           = var.tags
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = each.value.name
  description          = each.value.description
  max_session_duration = 3600
  assume_role_policy   = jsonencode(each.value.trust)
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = (var.owner_id == "") == (var.repository_id == "")
      error_message = "owner_id and repository_id: give both or neither."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  for_each = local.roles

  name   = each.value.policy_name
  role   = aws_iam_role.this[each.key].id
  policy = jsonencode(each.value.permissions)
}

resource "aws_organizations_resource_policy" "delegation" {
  count = var.workflow_role_arn != "" ? 1 : 0

  content = jsonencode(local.delegation_policy)
  tags    = var.tags
}
