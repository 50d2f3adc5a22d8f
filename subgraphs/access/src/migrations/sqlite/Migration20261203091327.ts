import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091327 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`identity_provider\` (\`id\` text not null, \`account_id\` text not null, \`kind\` text not null, \`name\` text not null, \`enabled\` integer not null default false, \`oidc_issuer\` text null, \`oidc_client_id\` text null, \`oidc_client_secret_sealed\` text null, \`oidc_scopes\` text not null default 'openid email profile', \`oidc_id_token_alg\` text not null default 'RS256', \`saml_idp_entity_id\` text null, \`saml_sso_url\` text null, \`saml_idp_certificates\` json not null, \`saml_allow_idp_initiated\` integer not null default false, \`saml_sp_private_key_sealed\` text null, \`saml_sp_certificate\` text null, \`groups_claim\` text not null default 'groups', \`group_mappings\` json not null, \`last_tested_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`identity_provider_account_id_index\` on \`identity_provider\` (\`account_id\`);`);

    this.addSql(`create table \`scim_group\` (\`id\` text not null, \`account_id\` text not null, \`external_id\` text null, \`display_name_key\` text not null, \`document\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`scim_group_account_id_index\` on \`scim_group\` (\`account_id\`);`);

    this.addSql(`create table \`scim_user\` (\`id\` text not null, \`account_id\` text not null, \`user_name_key\` text not null, \`external_id\` text null, \`display_name_key\` text null, \`emails_key\` text null, \`active\` integer not null default true, \`document\` json not null, \`user_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`scim_user_account_id_index\` on \`scim_user\` (\`account_id\`);`);
    this.addSql(`create index \`scim_user_user_id_index\` on \`scim_user\` (\`user_id\`);`);
    this.addSql(`create unique index \`scim_user_account_id_user_name_key_unique\` on \`scim_user\` (\`account_id\`, \`user_name_key\`);`);

    this.addSql(`create table \`sso_domain\` (\`id\` text not null, \`account_id\` text not null, \`domain\` text not null, \`token\` text not null, \`verified_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`sso_domain_account_id_index\` on \`sso_domain\` (\`account_id\`);`);
    this.addSql(`create index \`sso_domain_domain_index\` on \`sso_domain\` (\`domain\`);`);
    this.addSql(`create unique index \`sso_domain_account_id_domain_unique\` on \`sso_domain\` (\`account_id\`, \`domain\`);`);

    this.addSql(`create table \`sso_login_attempt\` (\`id\` text not null, \`account_id\` text not null, \`provider_id\` text not null, \`state_hash\` text not null, \`browser_hash\` text not null, \`nonce\` text null, \`code_verifier_sealed\` text null, \`saml_request_id\` text null, \`return_to\` text null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`consumed_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`sso_login_attempt_account_id_index\` on \`sso_login_attempt\` (\`account_id\`);`);
    this.addSql(`create unique index \`sso_login_attempt_state_hash_unique\` on \`sso_login_attempt\` (\`state_hash\`);`);
    this.addSql(`create index \`sso_login_attempt_saml_request_id_index\` on \`sso_login_attempt\` (\`saml_request_id\`);`);
    this.addSql(`create index \`sso_login_attempt_expires_at_index\` on \`sso_login_attempt\` (\`expires_at\`);`);

    this.addSql(`create table \`sso_member\` (\`account_id\` text not null, \`principal_id\` text not null, \`principal_type\` text not null, \`role\` text not null, \`active\` integer not null, primary key (\`account_id\`, \`principal_id\`));`);

    this.addSql(`create table \`sso_settings\` (\`account_id\` text not null, \`enforced\` integer not null default false, \`jit_provisioning\` integer not null default true, \`jit_account_role\` text not null default 'MEMBER', \`scim_token_hash\` text null, \`scim_token_last4\` text null, \`scim_token_created_at\` datetime null, \`published_bypass\` json not null, \`published_domains\` json not null, \`updated_at\` datetime not null, primary key (\`account_id\`));`);
    this.addSql(`create unique index \`sso_settings_scim_token_hash_unique\` on \`sso_settings\` (\`scim_token_hash\`);`);

    this.addSql(`create table \`sso_used_assertion\` (\`key\` text not null, \`expires_at\` datetime not null, primary key (\`key\`));`);
    this.addSql(`create index \`sso_used_assertion_expires_at_index\` on \`sso_used_assertion\` (\`expires_at\`);`);
  }

}
