import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091328 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "identity_provider" ("id" uuid not null, "account_id" uuid not null, "kind" varchar(8) not null, "name" varchar(100) not null, "enabled" boolean not null default false, "oidc_issuer" varchar(2048) null, "oidc_client_id" varchar(255) null, "oidc_client_secret_sealed" text null, "oidc_scopes" varchar(500) not null default 'openid email profile', "oidc_id_token_alg" varchar(8) not null default 'RS256', "saml_idp_entity_id" varchar(2048) null, "saml_sso_url" varchar(2048) null, "saml_idp_certificates" jsonb not null, "saml_allow_idp_initiated" boolean not null default false, "saml_sp_private_key_sealed" text null, "saml_sp_certificate" text null, "groups_claim" varchar(255) not null default 'groups', "group_mappings" jsonb not null, "last_tested_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "identity_provider_pkey" primary key ("id"));`);
    this.addSql(`create index "identity_provider_account_id_index" on "identity_provider" ("account_id");`);

    this.addSql(`create table "scim_group" ("id" uuid not null, "account_id" uuid not null, "external_id" varchar(255) null, "display_name_key" varchar(255) not null, "document" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "scim_group_pkey" primary key ("id"));`);
    this.addSql(`create index "scim_group_account_id_index" on "scim_group" ("account_id");`);

    this.addSql(`create table "scim_user" ("id" uuid not null, "account_id" uuid not null, "user_name_key" varchar(255) not null, "external_id" varchar(255) null, "display_name_key" varchar(255) null, "emails_key" text null, "active" boolean not null default true, "document" jsonb not null, "user_id" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "scim_user_pkey" primary key ("id"));`);
    this.addSql(`create index "scim_user_account_id_index" on "scim_user" ("account_id");`);
    this.addSql(`create index "scim_user_user_id_index" on "scim_user" ("user_id");`);
    this.addSql(`alter table "scim_user" add constraint "scim_user_account_id_user_name_key_unique" unique ("account_id", "user_name_key");`);

    this.addSql(`create table "sso_domain" ("id" uuid not null, "account_id" uuid not null, "domain" varchar(253) not null, "token" varchar(64) not null, "verified_at" timestamptz null, "created_at" timestamptz not null, constraint "sso_domain_pkey" primary key ("id"));`);
    this.addSql(`create index "sso_domain_account_id_index" on "sso_domain" ("account_id");`);
    this.addSql(`create index "sso_domain_domain_index" on "sso_domain" ("domain");`);
    this.addSql(`alter table "sso_domain" add constraint "sso_domain_account_id_domain_unique" unique ("account_id", "domain");`);

    this.addSql(`create table "sso_login_attempt" ("id" uuid not null, "account_id" uuid not null, "provider_id" uuid not null, "state_hash" varchar(64) not null, "browser_hash" varchar(64) not null, "nonce" varchar(128) null, "code_verifier_sealed" text null, "saml_request_id" varchar(128) null, "return_to" varchar(2048) null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "consumed_at" timestamptz null, constraint "sso_login_attempt_pkey" primary key ("id"));`);
    this.addSql(`create index "sso_login_attempt_account_id_index" on "sso_login_attempt" ("account_id");`);
    this.addSql(`alter table "sso_login_attempt" add constraint "sso_login_attempt_state_hash_unique" unique ("state_hash");`);
    this.addSql(`create index "sso_login_attempt_saml_request_id_index" on "sso_login_attempt" ("saml_request_id");`);
    this.addSql(`create index "sso_login_attempt_expires_at_index" on "sso_login_attempt" ("expires_at");`);

    this.addSql(`create table "sso_member" ("account_id" uuid not null, "principal_id" uuid not null, "principal_type" varchar(16) not null, "role" varchar(16) not null, "active" boolean not null, constraint "sso_member_pkey" primary key ("account_id", "principal_id"));`);

    this.addSql(`create table "sso_settings" ("account_id" uuid not null, "enforced" boolean not null default false, "jit_provisioning" boolean not null default true, "jit_account_role" varchar(16) not null default 'MEMBER', "scim_token_hash" varchar(64) null, "scim_token_last4" varchar(4) null, "scim_token_created_at" timestamptz null, "published_bypass" jsonb not null, "published_domains" jsonb not null, "updated_at" timestamptz not null, constraint "sso_settings_pkey" primary key ("account_id"));`);
    this.addSql(`alter table "sso_settings" add constraint "sso_settings_scim_token_hash_unique" unique ("scim_token_hash");`);

    this.addSql(`create table "sso_used_assertion" ("key" varchar(300) not null, "expires_at" timestamptz not null, constraint "sso_used_assertion_pkey" primary key ("key"));`);
    this.addSql(`create index "sso_used_assertion_expires_at_index" on "sso_used_assertion" ("expires_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "identity_provider" cascade;`);

    this.addSql(`drop table if exists "scim_group" cascade;`);

    this.addSql(`drop table if exists "scim_user" cascade;`);

    this.addSql(`drop table if exists "sso_domain" cascade;`);

    this.addSql(`drop table if exists "sso_login_attempt" cascade;`);

    this.addSql(`drop table if exists "sso_member" cascade;`);

    this.addSql(`drop table if exists "sso_settings" cascade;`);

    this.addSql(`drop table if exists "sso_used_assertion" cascade;`);
  }

}
