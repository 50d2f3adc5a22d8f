import { Migration } from '@mikro-orm/migrations';

export class Migration20261127055619 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "automation" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "description" text null, "enabled" boolean not null default true, "trigger" jsonb not null, "actions" jsonb not null, "actions_on_trigger" jsonb not null, "actions_on_resolve" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "automation_pkey" primary key ("id"));`);
    this.addSql(`create index "automation_workspace_id_created_at_index" on "automation" ("workspace_id", "created_at");`);

    this.addSql(`create table "automation_bucket" ("id" uuid not null, "automation_id" uuid not null, "workspace_id" uuid not null, "trigger_path" varchar(40) not null, "bucket_key" varchar(600) not null, "posture" varchar(20) null, "window_start" timestamptz null, "window_end" timestamptz null, "count" int not null default 0, "fired_at" timestamptz null, "resolved_at" timestamptz null, "state" jsonb not null, "updated_at" timestamptz not null, constraint "automation_bucket_pkey" primary key ("id"));`);
    this.addSql(`create index "automation_bucket_posture_window_end_index" on "automation_bucket" ("posture", "window_end");`);
    this.addSql(`alter table "automation_bucket" add constraint "automation_bucket_automation_id_trigger_path_bucket_key_unique" unique ("automation_id", "trigger_path", "bucket_key");`);

    this.addSql(`create table "automation_revision" ("workspace_id" uuid not null, "revision" int not null default 0, constraint "automation_revision_pkey" primary key ("workspace_id"));`);

    this.addSql(`create table "webhook_delivery" ("id" uuid not null, "workspace_id" uuid not null, "automation_id" uuid not null, "automation_name" varchar(200) not null, "action_id" uuid not null, "action_type" varchar(40) not null, "firing" varchar(20) not null, "firing_event_id" uuid not null, "triggering_event_id" uuid null, "depth" int not null default 0, "related" jsonb not null, "url" varchar(2000) not null, "method" varchar(10) not null, "headers" jsonb not null, "content_type" varchar(200) not null, "body" text not null, "secret" text null, "status" varchar(20) not null default 'PENDING', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "lease_until" timestamptz null, "lease_token" uuid null, "last_status" int null, "last_error" text null, "created_at" timestamptz not null, "completed_at" timestamptz null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_workspace_id_index" on "webhook_delivery" ("workspace_id");`);
    this.addSql(`create index "webhook_delivery_automation_id_index" on "webhook_delivery" ("automation_id");`);
    this.addSql(`create index "webhook_delivery_status_next_attempt_at_index" on "webhook_delivery" ("status", "next_attempt_at");`);





































































































  }

  override async down(): Promise<void> {





























































    this.addSql(`CREATE INDEX log_workspace_id_flow_run_id_timestamp_seq_index ON t_9548cebe_operations.log USING btree (workspace_id, flow_run_id, "timestamp", seq);`);
    this.addSql(`CREATE INDEX log_workspace_id_timestamp_seq_index ON t_9548cebe_operations.log USING btree (workspace_id, "timestamp", seq);`);

    this.addSql(`CREATE INDEX log_workspace_id_flow_run_id_timestamp_seq_index ON t_680a29ae_operations.log USING btree (workspace_id, flow_run_id, "timestamp", seq);`);
    this.addSql(`CREATE INDEX log_workspace_id_timestamp_seq_index ON t_680a29ae_operations.log USING btree (workspace_id, "timestamp", seq);`);











    this.addSql(`CREATE INDEX run_state_run_id_timestamp_index ON t_680a29ae_operations.run_state USING btree (run_id, "timestamp");`);

    this.addSql(`CREATE INDEX run_state_run_id_timestamp_index ON t_9548cebe_operations.run_state USING btree (run_id, "timestamp");`);


























    this.addSql(`drop table if exists "automation" cascade;`);

    this.addSql(`drop table if exists "automation_bucket" cascade;`);

    this.addSql(`drop table if exists "automation_revision" cascade;`);

    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
  }

}
