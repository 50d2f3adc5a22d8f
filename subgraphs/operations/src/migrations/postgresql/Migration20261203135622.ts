import { Migration } from '@mikro-orm/migrations';

export class Migration20261203135622 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "error_summary" ("id" uuid not null, "workspace_id" uuid not null, "account_id" uuid not null, "flow_run_id" uuid not null, "state_id" uuid not null, "flow_id" uuid null, "deployment_id" uuid null, "state_type" varchar(20) not null, "failed_at" timestamptz not null, "status" varchar(10) not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "lease_until" timestamptz null, "lease_token" uuid null, "last_error" text null, "engine" varchar(10) null, "explanation" text null, "root_cause" jsonb null, "fix_kind" varchar(30) null, "fix_hint" text null, "evidence" jsonb not null, "signature" varchar(64) null, "signature_message" text null, "created_at" timestamptz not null, constraint "error_summary_pkey" primary key ("id"));`);
    this.addSql(`create index "error_summary_flow_run_id_index" on "error_summary" ("flow_run_id");`);
    this.addSql(`alter table "error_summary" add constraint "error_summary_state_id_unique" unique ("state_id");`);
    this.addSql(`create index "error_summary_status_next_attempt_at_index" on "error_summary" ("status", "next_attempt_at");`);
    this.addSql(`create index "error_summary_workspace_id_signature_failed_at_index" on "error_summary" ("workspace_id", "signature", "failed_at");`);

    this.addSql(`create table "error_summary_account" ("account_id" uuid not null, "enabled" boolean not null default false, constraint "error_summary_account_pkey" primary key ("account_id"));`);

    this.addSql(`create table "error_summary_llm_usage" ("account_id" uuid not null, "day" varchar(10) not null, "calls" int not null default 0, constraint "error_summary_llm_usage_pkey" primary key ("account_id", "day"));`);

    this.addSql(`create table "error_summary_workspace" ("workspace_id" uuid not null, "account_id" uuid not null, constraint "error_summary_workspace_pkey" primary key ("workspace_id"));`);
    this.addSql(`create index "error_summary_workspace_account_id_index" on "error_summary_workspace" ("account_id");`);

  }

  override async down(): Promise<void> {

    this.addSql(`drop table if exists "error_summary" cascade;`);

    this.addSql(`drop table if exists "error_summary_account" cascade;`);

    this.addSql(`drop table if exists "error_summary_llm_usage" cascade;`);

    this.addSql(`drop table if exists "error_summary_workspace" cascade;`);
  }

}
