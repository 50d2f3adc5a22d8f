import { Migration } from '@mikro-orm/migrations';

export class Migration20261127031101 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "artifact" ("id" uuid not null, "workspace_id" uuid not null, "key" varchar(200) null, "type" varchar(20) not null, "data" jsonb not null, "description" text null, "flow_run_id" uuid null, "task_run_id" uuid null, "created_at" timestamptz not null, constraint "artifact_pkey" primary key ("id"));`);
    this.addSql(`create index "artifact_workspace_id_index" on "artifact" ("workspace_id");`);
    this.addSql(`create index "artifact_flow_run_id_index" on "artifact" ("flow_run_id");`);
    this.addSql(`create index "artifact_task_run_id_index" on "artifact" ("task_run_id");`);
    this.addSql(`create index "artifact_workspace_id_key_created_at_index" on "artifact" ("workspace_id", "key", "created_at");`);

    this.addSql(`create table "block_document" ("id" uuid not null, "workspace_id" uuid not null, "block_type_id" uuid not null, "block_schema_id" uuid not null, "name" varchar(100) not null, "values" jsonb not null, "secret_values" text null, "secret_paths" jsonb not null, "created_by_type" varchar(20) not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "block_document_pkey" primary key ("id"));`);
    this.addSql(`create index "block_document_workspace_id_index" on "block_document" ("workspace_id");`);
    this.addSql(`create index "block_document_block_type_id_index" on "block_document" ("block_type_id");`);
    this.addSql(`alter table "block_document" add constraint "block_document_workspace_id_block_type_id_name_unique" unique ("workspace_id", "block_type_id", "name");`);

    this.addSql(`create table "block_schema" ("id" uuid not null, "workspace_id" uuid not null, "block_type_id" uuid not null, "version" varchar(50) not null, "fields" jsonb not null, "capabilities" jsonb not null, "secret_paths" jsonb not null, "created_at" timestamptz not null, constraint "block_schema_pkey" primary key ("id"));`);
    this.addSql(`create index "block_schema_workspace_id_index" on "block_schema" ("workspace_id");`);
    this.addSql(`create index "block_schema_block_type_id_index" on "block_schema" ("block_type_id");`);
    this.addSql(`alter table "block_schema" add constraint "block_schema_block_type_id_version_unique" unique ("block_type_id", "version");`);

    this.addSql(`create table "block_type" ("id" uuid not null, "workspace_id" uuid not null, "slug" varchar(100) not null, "name" varchar(200) not null, "description" text null, "logo_url" varchar(2048) null, "documentation_url" varchar(2048) null, "created_at" timestamptz not null, constraint "block_type_pkey" primary key ("id"));`);
    this.addSql(`create index "block_type_workspace_id_index" on "block_type" ("workspace_id");`);
    this.addSql(`alter table "block_type" add constraint "block_type_workspace_id_slug_unique" unique ("workspace_id", "slug");`);

    this.addSql(`create table "concurrency_lease" ("lease_id" uuid not null, "limit_id" uuid not null, "workspace_id" uuid not null, "slots" int not null, "expires_at" timestamptz not null, "holder_type" varchar(20) not null, "holder_id" uuid not null, "created_at" timestamptz not null, constraint "concurrency_lease_pkey" primary key ("lease_id", "limit_id"));`);
    this.addSql(`create index "concurrency_lease_workspace_id_index" on "concurrency_lease" ("workspace_id");`);
    this.addSql(`create index "concurrency_lease_expires_at_index" on "concurrency_lease" ("expires_at");`);

    this.addSql(`create table "concurrency_limit" ("id" uuid not null, "workspace_id" uuid not null, "kind" varchar(10) not null, "name" varchar(100) not null, "limit" int not null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "concurrency_limit_pkey" primary key ("id"));`);
    this.addSql(`create index "concurrency_limit_workspace_id_index" on "concurrency_limit" ("workspace_id");`);
    this.addSql(`alter table "concurrency_limit" add constraint "concurrency_limit_workspace_id_kind_name_unique" unique ("workspace_id", "kind", "name");`);

    this.addSql(`create table "deployment" ("id" uuid not null, "workspace_id" uuid not null, "flow_id" uuid not null, "name" varchar(200) not null, "description" text null, "version" varchar(100) null, "parameters" jsonb not null, "parameter_schema" jsonb null, "work_pool_id" uuid null, "work_queue_id" uuid null, "job_variables" jsonb not null, "concurrency_limit" int null, "collision_strategy" varchar(20) not null default 'ENQUEUE', "retries" int null, "retry_delay_seconds" int null, "paused" boolean not null default false, "tags" jsonb not null, "created_by_type" varchar(20) not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "deployment_pkey" primary key ("id"));`);
    this.addSql(`create index "deployment_workspace_id_index" on "deployment" ("workspace_id");`);
    this.addSql(`create index "deployment_flow_id_index" on "deployment" ("flow_id");`);
    this.addSql(`create index "deployment_work_pool_id_index" on "deployment" ("work_pool_id");`);
    this.addSql(`alter table "deployment" add constraint "deployment_flow_id_name_unique" unique ("flow_id", "name");`);

    this.addSql(`create table "deployment_schedule" ("id" uuid not null, "deployment_id" uuid not null, "workspace_id" uuid not null, "active" boolean not null default true, "cron" varchar(200) null, "interval_seconds" int null, "anchor_date" timestamptz null, "rrule" text null, "timezone" varchar(100) not null default 'UTC', "created_at" timestamptz not null, constraint "deployment_schedule_pkey" primary key ("id"));`);
    this.addSql(`create index "deployment_schedule_deployment_id_index" on "deployment_schedule" ("deployment_id");`);
    this.addSql(`create index "deployment_schedule_workspace_id_index" on "deployment_schedule" ("workspace_id");`);

    this.addSql(`create table "flow" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "tags" jsonb not null, "labels" jsonb not null, "created_by_type" text check ("created_by_type" in ('USER', 'SERVICE_ACCOUNT')) not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "flow_pkey" primary key ("id"));`);
    this.addSql(`create index "flow_workspace_id_index" on "flow" ("workspace_id");`);
    this.addSql(`alter table "flow" add constraint "flow_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "flow_run" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "tags" jsonb not null, "expected_start_time" timestamptz null, "next_scheduled_start_time" timestamptz null, "start_time" timestamptz null, "end_time" timestamptz null, "run_count" int not null default 0, "total_run_time" double precision not null default 0, "retries" int not null default 0, "retry_delay_seconds" int not null default 0, "state_id" uuid null, "state_type" varchar(20) not null, "state_name" varchar(50) not null, "state_timestamp" timestamptz not null, "state_message" text null, "state_details" jsonb not null, "pause_expires_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "flow_id" uuid not null, "deployment_id" uuid null, "parameters" jsonb not null, "labels" jsonb not null, "idempotency_key" varchar(200) null, "auto_scheduled" boolean not null default false, "parent_task_run_id" uuid null, "work_pool_id" uuid null, "work_queue_id" uuid null, "infrastructure_id" varchar(500) null, "worker_name" varchar(200) null, "holds_deployment_slot" boolean not null default false, "created_by_type" varchar(20) null, "created_by_id" uuid null, constraint "flow_run_pkey" primary key ("id"));`);
    this.addSql(`create index "flow_run_flow_id_index" on "flow_run" ("flow_id");`);
    this.addSql(`create index "flow_run_work_pool_id_index" on "flow_run" ("work_pool_id");`);
    this.addSql(`create index "flow_run_deployment_id_holds_deployment_slot_index" on "flow_run" ("deployment_id", "holds_deployment_slot");`);
    this.addSql(`create index "flow_run_state_type_next_scheduled_start_time_index" on "flow_run" ("state_type", "next_scheduled_start_time");`);
    this.addSql(`create index "flow_run_work_queue_id_state_type_next_scheduled_s_6b46d_index" on "flow_run" ("work_queue_id", "state_type", "next_scheduled_start_time");`);
    this.addSql(`create index "flow_run_workspace_id_created_at_index" on "flow_run" ("workspace_id", "created_at");`);
    this.addSql(`alter table "flow_run" add constraint "flow_run_workspace_id_idempotency_key_unique" unique ("workspace_id", "idempotency_key");`);

    this.addSql(`create table "handled_event" ("consumer" varchar(80) not null, "event_id" uuid not null, "handled_at" timestamptz not null, constraint "handled_event_pkey" primary key ("consumer", "event_id"));`);

    this.addSql(`create table "log" ("seq" bigserial primary key, "workspace_id" uuid not null, "flow_run_id" uuid not null, "task_run_id" uuid null, "level" smallint not null, "message" text not null, "timestamp" timestamptz not null, "created_at" timestamptz not null);`);
    this.addSql(`create index "log_task_run_id_index" on "log" ("task_run_id");`);
    this.addSql(`create index "log_workspace_id_timestamp_seq_index" on "log" ("workspace_id", "timestamp", "seq");`);
    this.addSql(`create index "log_workspace_id_flow_run_id_timestamp_seq_index" on "log" ("workspace_id", "flow_run_id", "timestamp", "seq");`);

    this.addSql(`create table "object_access" ("id" uuid not null, "workspace_id" uuid not null, "object_type" varchar(30) not null, "object_id" uuid not null, "entries" jsonb not null, "updated_at" timestamptz not null, constraint "object_access_pkey" primary key ("id"));`);
    this.addSql(`create index "object_access_workspace_id_object_type_index" on "object_access" ("workspace_id", "object_type");`);
    this.addSql(`alter table "object_access" add constraint "object_access_object_type_object_id_unique" unique ("object_type", "object_id");`);

    this.addSql(`create table "outbox" ("seq" serial primary key, "id" uuid not null, "type" varchar(120) not null, "payload" jsonb not null, "occurred_at" timestamptz not null, "actor" jsonb null, "sent_at" timestamptz null);`);
    this.addSql(`alter table "outbox" add constraint "outbox_id_unique" unique ("id");`);
    this.addSql(`create index "outbox_sent_at_index" on "outbox" ("sent_at");`);

    this.addSql(`create table "run_state" ("id" uuid not null, "run_id" uuid not null, "run_kind" varchar(10) not null, "type" varchar(20) not null, "name" varchar(50) not null, "message" text null, "details" jsonb not null, "timestamp" timestamptz not null, constraint "run_state_pkey" primary key ("id"));`);
    this.addSql(`create index "run_state_run_id_timestamp_index" on "run_state" ("run_id", "timestamp");`);

    this.addSql(`create table "task_run" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "tags" jsonb not null, "expected_start_time" timestamptz null, "next_scheduled_start_time" timestamptz null, "start_time" timestamptz null, "end_time" timestamptz null, "run_count" int not null default 0, "total_run_time" double precision not null default 0, "retries" int not null default 0, "retry_delay_seconds" int not null default 0, "state_id" uuid null, "state_type" varchar(20) not null, "state_name" varchar(50) not null, "state_timestamp" timestamptz not null, "state_message" text null, "state_details" jsonb not null, "pause_expires_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "flow_run_id" uuid not null, "task_key" varchar(200) not null, "dynamic_key" varchar(200) not null, "cache_key" varchar(500) null, constraint "task_run_pkey" primary key ("id"));`);
    this.addSql(`alter table "task_run" add constraint "task_run_flow_run_id_task_key_dynamic_key_unique" unique ("flow_run_id", "task_key", "dynamic_key");`);

    this.addSql(`create table "variable" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(255) not null, "value" jsonb not null, "tags" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "variable_pkey" primary key ("id"));`);
    this.addSql(`create index "variable_workspace_id_index" on "variable" ("workspace_id");`);
    this.addSql(`alter table "variable" add constraint "variable_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "worker" ("id" uuid not null, "work_pool_id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "last_heartbeat_at" timestamptz not null, "heartbeat_interval_seconds" int not null default 30, "offline_after" timestamptz not null, "status" varchar(10) not null default 'ONLINE', "created_at" timestamptz not null, constraint "worker_pkey" primary key ("id"));`);
    this.addSql(`create index "worker_workspace_id_index" on "worker" ("workspace_id");`);
    this.addSql(`create index "worker_status_offline_after_index" on "worker" ("status", "offline_after");`);
    this.addSql(`alter table "worker" add constraint "worker_work_pool_id_name_unique" unique ("work_pool_id", "name");`);

    this.addSql(`create table "work_pool" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "description" text null, "type" varchar(100) not null, "base_job_template" jsonb not null, "concurrency_limit" int null, "paused" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "work_pool_pkey" primary key ("id"));`);
    this.addSql(`create index "work_pool_workspace_id_index" on "work_pool" ("workspace_id");`);
    this.addSql(`alter table "work_pool" add constraint "work_pool_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "work_queue" ("id" uuid not null, "work_pool_id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "description" text null, "priority" int not null default 1, "concurrency_limit" int null, "paused" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "work_queue_pkey" primary key ("id"));`);
    this.addSql(`create index "work_queue_workspace_id_index" on "work_queue" ("workspace_id");`);
    this.addSql(`alter table "work_queue" add constraint "work_queue_work_pool_id_name_unique" unique ("work_pool_id", "name");`);






















































  }

  override async down(): Promise<void> {


































    this.addSql(`CREATE INDEX run_state_run_id_timestamp_index ON t_3044886f_operations.run_state USING btree (run_id, "timestamp");`);



















    this.addSql(`drop table if exists "artifact" cascade;`);

    this.addSql(`drop table if exists "block_document" cascade;`);

    this.addSql(`drop table if exists "block_schema" cascade;`);

    this.addSql(`drop table if exists "block_type" cascade;`);

    this.addSql(`drop table if exists "concurrency_lease" cascade;`);

    this.addSql(`drop table if exists "concurrency_limit" cascade;`);

    this.addSql(`drop table if exists "deployment" cascade;`);

    this.addSql(`drop table if exists "deployment_schedule" cascade;`);

    this.addSql(`drop table if exists "flow" cascade;`);

    this.addSql(`drop table if exists "flow_run" cascade;`);

    this.addSql(`drop table if exists "handled_event" cascade;`);

    this.addSql(`drop table if exists "log" cascade;`);

    this.addSql(`drop table if exists "object_access" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop table if exists "run_state" cascade;`);

    this.addSql(`drop table if exists "task_run" cascade;`);

    this.addSql(`drop table if exists "variable" cascade;`);

    this.addSql(`drop table if exists "worker" cascade;`);

    this.addSql(`drop table if exists "work_pool" cascade;`);

    this.addSql(`drop table if exists "work_queue" cascade;`);

  }

}
