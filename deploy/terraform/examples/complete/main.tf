# Both modules: the workflow's table, workgroup and role in the account that holds the
# organization trail's bucket (here: log archive), and the optional roles of the management
# account. Run `terraform output -raw settings` afterwards for scp-recommender.toml.

provider "aws" {
  region = "eu-west-1"
  # Credentials of the log-archive account (or assume_role { role_arn = ... }).
}

provider "aws" {
  alias  = "management"
  region = "us-east-1"
  # Credentials of the management account or the Organizations delegated administrator.
}

module "scp_recommender" {
  source = "../.."

  trail_bucket    = "acme-org-cloudtrail"
  organization_id = "o-a1b2c3d4e5"
  repository      = "acme/aws-scps"
  # kms_key_arn   = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  # oidc_provider_arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
  # owner_id      = "1234567"    # repositories created since 15 July 2026
  # repository_id = "890123456"
}

module "scp_recommender_organizations" {
  source    = "../../modules/organizations"
  providers = { aws = aws.management }

  repository        = "acme/aws-scps"
  workflow_role_arn = module.scp_recommender.role_arn # reads Organizations from log archive
  create_apply_role = false                           # true once the apply workflow is enabled
}

output "role_arn" {
  description = "gh variable set SCP_RECOMMENDER_ROLE_ARN --body <this>"
  value       = module.scp_recommender.role_arn
}

output "region" {
  description = "gh variable set AWS_REGION --body <this>"
  value       = module.scp_recommender.region
}

output "settings" {
  description = "The [athena] section of scp-recommender.toml."
  value       = module.scp_recommender.settings
}

output "read_role_arn" {
  description = "The role of sync-policies --check in the management account."
  value       = module.scp_recommender_organizations.read_role_arn
}
