import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025236 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "account_role_binding" ("id" uuid not null, "account_id" uuid not null, "principal_type" varchar(16) not null, "principal_id" uuid not null, "role_id" uuid not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "account_role_binding_pkey" primary key ("id"));`);
    this.addSql(`create index "account_role_binding_principal_id_index" on "account_role_binding" ("principal_id");`);
    this.addSql(`create index "account_role_binding_role_id_index" on "account_role_binding" ("role_id");`);
    this.addSql(`alter table "account_role_binding" add constraint "account_role_binding_account_id_principal_id_unique" unique ("account_id", "principal_id");`);

    this.addSql(`create table "audit_chain" ("account_id" uuid not null, "head_seq" int not null default 0, "head_hash" varchar(64) not null default '', "head_id" uuid null, "anchor_seq" int not null default 0, "anchor_hash" varchar(64) not null default '', "retention_days" int null, "purged_at" timestamptz null, constraint "audit_chain_pkey" primary key ("account_id"));`);

    this.addSql(`create table "audit_event" ("id" uuid not null, "account_id" uuid not null, "workspace_id" uuid null, "seq" int not null, "occurred_at" timestamptz not null, "event_id" uuid not null, "actor_type" varchar(20) not null, "actor_id" varchar(100) not null, "actor_api_key_id" uuid null, "actor_ip" varchar(64) null, "actor_user_agent" varchar(300) null, "request_id" varchar(64) null, "action" varchar(120) not null, "resource_type" varchar(80) not null, "resource_id" varchar(100) null, "summary" jsonb not null, "prev_hash" varchar(64) not null, "hash" varchar(64) not null, constraint "audit_event_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_event_account_id_occurred_at_index" on "audit_event" ("account_id", "occurred_at");`);
    this.addSql(`alter table "audit_event" add constraint "audit_event_account_id_event_id_unique" unique ("account_id", "event_id");`);
    this.addSql(`alter table "audit_event" add constraint "audit_event_account_id_seq_unique" unique ("account_id", "seq");`);

    this.addSql(`create table "audit_membership" ("principal_id" uuid not null, "account_id" uuid not null, constraint "audit_membership_pkey" primary key ("principal_id", "account_id"));`);

    this.addSql(`create table "audit_workspace" ("workspace_id" uuid not null, "account_id" uuid not null, constraint "audit_workspace_pkey" primary key ("workspace_id"));`);

    this.addSql(`create table "custom_role" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "description" varchar(500) not null default '', "level" varchar(16) not null, "permissions" jsonb not null, "inherits_from" varchar(16) null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "custom_role_pkey" primary key ("id"));`);
    this.addSql(`create index "custom_role_account_id_index" on "custom_role" ("account_id");`);
    this.addSql(`alter table "custom_role" add constraint "custom_role_account_id_name_unique" unique ("account_id", "name");`);

    this.addSql(`create table "handled_event" ("consumer" varchar(80) not null, "event_id" uuid not null, "handled_at" timestamptz not null, constraint "handled_event_pkey" primary key ("consumer", "event_id"));`);

    this.addSql(`create table "outbox" ("seq" serial primary key, "id" uuid not null, "type" varchar(120) not null, "payload" jsonb not null, "occurred_at" timestamptz not null, "actor" jsonb null, "sent_at" timestamptz null);`);
    this.addSql(`alter table "outbox" add constraint "outbox_id_unique" unique ("id");`);
    this.addSql(`create index "outbox_sent_at_index" on "outbox" ("sent_at");`);

    this.addSql(`create table "team" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "description" varchar(500) not null default '', "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "team_pkey" primary key ("id"));`);
    this.addSql(`create index "team_account_id_index" on "team" ("account_id");`);
    this.addSql(`alter table "team" add constraint "team_account_id_name_unique" unique ("account_id", "name");`);

    this.addSql(`create table "team_member" ("id" uuid not null, "team_id" uuid not null, "account_id" uuid not null, "principal_type" varchar(16) not null, "principal_id" uuid not null, "created_at" timestamptz not null, constraint "team_member_pkey" primary key ("id"));`);
    this.addSql(`create index "team_member_account_id_index" on "team_member" ("account_id");`);
    this.addSql(`create index "team_member_principal_id_index" on "team_member" ("principal_id");`);
    this.addSql(`alter table "team_member" add constraint "team_member_team_id_principal_id_unique" unique ("team_id", "principal_id");`);

    this.addSql(`create table "workspace_role_binding" ("id" uuid not null, "account_id" uuid not null, "workspace_id" uuid not null, "principal_type" varchar(16) not null, "principal_id" uuid not null, "role" varchar(16) null, "role_id" uuid null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "workspace_role_binding_pkey" primary key ("id"));`);
    this.addSql(`create index "workspace_role_binding_account_id_index" on "workspace_role_binding" ("account_id");`);
    this.addSql(`create index "workspace_role_binding_principal_id_index" on "workspace_role_binding" ("principal_id");`);
    this.addSql(`create index "workspace_role_binding_role_id_index" on "workspace_role_binding" ("role_id");`);
    this.addSql(`alter table "workspace_role_binding" add constraint "workspace_role_binding_workspace_id_principal_id_unique" unique ("workspace_id", "principal_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "account_role_binding" cascade;`);

    this.addSql(`drop table if exists "audit_chain" cascade;`);

    this.addSql(`drop table if exists "audit_event" cascade;`);

    this.addSql(`drop table if exists "audit_membership" cascade;`);

    this.addSql(`drop table if exists "audit_workspace" cascade;`);

    this.addSql(`drop table if exists "custom_role" cascade;`);

    this.addSql(`drop table if exists "handled_event" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop table if exists "team" cascade;`);

    this.addSql(`drop table if exists "team_member" cascade;`);

    this.addSql(`drop table if exists "workspace_role_binding" cascade;`);

  }

}
