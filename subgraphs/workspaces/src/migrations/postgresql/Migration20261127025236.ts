import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025236 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "account" ("id" uuid not null, "handle" varchar(40) not null, "name" varchar(100) not null, "ai_error_summaries" boolean not null default false, "allowed_sso_domains" jsonb not null, "ip_allow_list" jsonb not null, "audit_retention_days" int not null default 365, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deleted_at" timestamptz null, constraint "account_pkey" primary key ("id"));`);
    this.addSql(`alter table "account" add constraint "account_handle_unique" unique ("handle");`);

    this.addSql(`create table "account_membership" ("id" uuid not null, "account_id" uuid not null, "principal_type" text check ("principal_type" in ('USER', 'SERVICE_ACCOUNT')) not null, "principal_id" uuid not null, "role" varchar(16) not null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "account_membership_pkey" primary key ("id"));`);
    this.addSql(`create index "account_membership_account_id_index" on "account_membership" ("account_id");`);
    this.addSql(`create index "account_membership_principal_id_index" on "account_membership" ("principal_id");`);
    this.addSql(`alter table "account_membership" add constraint "account_membership_account_id_principal_id_unique" unique ("account_id", "principal_id");`);

    this.addSql(`create table "handled_event" ("consumer" varchar(80) not null, "event_id" uuid not null, "handled_at" timestamptz not null, constraint "handled_event_pkey" primary key ("consumer", "event_id"));`);

    this.addSql(`create table "invitation" ("id" uuid not null, "account_id" uuid not null, "email" varchar(254) not null, "account_role" varchar(16) not null, "workspace_id" uuid null, "workspace_role" varchar(16) null, "status" varchar(16) not null default 'PENDING', "code_hash" varchar(64) not null, "expires_at" timestamptz not null, "invited_by_id" uuid not null, "created_at" timestamptz not null, "responded_at" timestamptz null, constraint "invitation_pkey" primary key ("id"));`);
    this.addSql(`create index "invitation_account_id_index" on "invitation" ("account_id");`);
    this.addSql(`create index "invitation_email_index" on "invitation" ("email");`);
    this.addSql(`alter table "invitation" add constraint "invitation_code_hash_unique" unique ("code_hash");`);

    this.addSql(`create table "outbox" ("seq" serial primary key, "id" uuid not null, "type" varchar(120) not null, "payload" jsonb not null, "occurred_at" timestamptz not null, "actor" jsonb null, "sent_at" timestamptz null);`);
    this.addSql(`alter table "outbox" add constraint "outbox_id_unique" unique ("id");`);
    this.addSql(`create index "outbox_sent_at_index" on "outbox" ("sent_at");`);

    this.addSql(`create table "workspace" ("id" uuid not null, "account_id" uuid not null, "handle" varchar(40) not null, "name" varchar(100) not null, "description" text null, "default_role" varchar(16) null default 'VIEWER', "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "workspace_pkey" primary key ("id"));`);
    this.addSql(`create index "workspace_account_id_index" on "workspace" ("account_id");`);
    this.addSql(`alter table "workspace" add constraint "workspace_account_id_handle_unique" unique ("account_id", "handle");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "account" cascade;`);

    this.addSql(`drop table if exists "account_membership" cascade;`);

    this.addSql(`drop table if exists "handled_event" cascade;`);

    this.addSql(`drop table if exists "invitation" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop table if exists "workspace" cascade;`);

  }

}
