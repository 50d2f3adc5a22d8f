import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022409 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_chain" ("account_id" uuid not null, "head_seq" int not null default 0, "head_hash" varchar(64) not null default '', "head_id" uuid null, "anchor_seq" int not null default 0, "anchor_hash" varchar(64) not null default '', "retention_days" int null, "purged_at" timestamptz null, constraint "audit_chain_pkey" primary key ("account_id"));`,
    );

    this.addSql(
      `create table "audit_event" ("id" uuid not null, "account_id" uuid not null, "workspace_id" uuid null, "seq" int not null, "occurred_at" timestamptz not null, "event_id" uuid not null, "actor_type" varchar(20) not null, "actor_id" varchar(100) not null, "actor_api_key_id" uuid null, "actor_ip" varchar(64) null, "actor_user_agent" varchar(300) null, "request_id" varchar(64) null, "action" varchar(120) not null, "resource_type" varchar(80) not null, "resource_id" varchar(100) null, "summary" jsonb not null, "prev_hash" varchar(64) not null, "hash" varchar(64) not null, constraint "audit_event_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "audit_event_account_id_occurred_at_index" on "audit_event" ("account_id", "occurred_at");`,
    );
    this.addSql(
      `alter table "audit_event" add constraint "audit_event_account_id_event_id_unique" unique ("account_id", "event_id");`,
    );
    this.addSql(
      `alter table "audit_event" add constraint "audit_event_account_id_seq_unique" unique ("account_id", "seq");`,
    );

    this.addSql(
      `create table "audit_membership" ("principal_id" uuid not null, "account_id" uuid not null, constraint "audit_membership_pkey" primary key ("principal_id", "account_id"));`,
    );

    this.addSql(
      `create table "audit_workspace" ("workspace_id" uuid not null, "account_id" uuid not null, constraint "audit_workspace_pkey" primary key ("workspace_id"));`,
    );

    this.addSql(`alter table "outbox" add column "actor" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_chain" cascade;`);

    this.addSql(`drop table if exists "audit_event" cascade;`);

    this.addSql(`drop table if exists "audit_membership" cascade;`);

    this.addSql(`drop table if exists "audit_workspace" cascade;`);

    this.addSql(`alter table "outbox" drop column "actor";`);
  }
}
