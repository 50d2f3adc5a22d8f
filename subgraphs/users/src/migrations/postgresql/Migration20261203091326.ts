import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091326 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sso_bypass" ("account_id" uuid not null, "user_id" uuid not null, constraint "sso_bypass_pkey" primary key ("account_id", "user_id"));`);

    this.addSql(`create table "sso_enforced_domain" ("domain" varchar(253) not null, "account_id" uuid not null, constraint "sso_enforced_domain_pkey" primary key ("domain"));`);
    this.addSql(`create index "sso_enforced_domain_account_id_index" on "sso_enforced_domain" ("account_id");`);

    this.addSql(`create table "sso_login_code" ("id" uuid not null, "code_hash" varchar(64) not null, "user_id" uuid not null, "account_id" uuid not null, "identity_provider_id" uuid not null, "expires_at" timestamptz not null, "consumed_at" timestamptz null, constraint "sso_login_code_pkey" primary key ("id"));`);
    this.addSql(`alter table "sso_login_code" add constraint "sso_login_code_code_hash_unique" unique ("code_hash");`);
    this.addSql(`create index "sso_login_code_expires_at_index" on "sso_login_code" ("expires_at");`);

    this.addSql(`alter table "session" add column "method" varchar(16) not null default 'PASSWORD', add column "sso_account_id" uuid null;`);
    this.addSql(`create index "session_sso_account_id_index" on "session" ("sso_account_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sso_bypass" cascade;`);

    this.addSql(`drop table if exists "sso_enforced_domain" cascade;`);

    this.addSql(`drop table if exists "sso_login_code" cascade;`);

    this.addSql(`drop index "session_sso_account_id_index";`);
    this.addSql(`alter table "session" drop column "method", drop column "sso_account_id";`);
  }

}
