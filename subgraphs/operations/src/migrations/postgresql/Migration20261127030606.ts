import { Migration } from '@mikro-orm/migrations';

export class Migration20261127030606 extends Migration {

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

    this.addSql(`create table "flow" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "tags" jsonb not null, "labels" jsonb not null, "created_by_type" text check ("created_by_type" in ('USER', 'SERVICE_ACCOUNT')) not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "flow_pkey" primary key ("id"));`);
    this.addSql(`create index "flow_workspace_id_index" on "flow" ("workspace_id");`);
    this.addSql(`alter table "flow" add constraint "flow_workspace_id_name_unique" unique ("workspace_id", "name");`);

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

    this.addSql(`create table "variable" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(255) not null, "value" jsonb not null, "tags" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "variable_pkey" primary key ("id"));`);
    this.addSql(`create index "variable_workspace_id_index" on "variable" ("workspace_id");`);
    this.addSql(`alter table "variable" add constraint "variable_workspace_id_name_unique" unique ("workspace_id", "name");`);





































































  }

  override async down(): Promise<void> {












































    this.addSql(`CREATE INDEX run_state_run_id_timestamp_index ON t_3044886f_operations.run_state USING btree (run_id, "timestamp");`);
























    this.addSql(`drop table if exists "artifact" cascade;`);

    this.addSql(`drop table if exists "block_document" cascade;`);

    this.addSql(`drop table if exists "block_schema" cascade;`);

    this.addSql(`drop table if exists "block_type" cascade;`);

    this.addSql(`drop table if exists "concurrency_lease" cascade;`);

    this.addSql(`drop table if exists "concurrency_limit" cascade;`);

    this.addSql(`drop table if exists "flow" cascade;`);

    this.addSql(`drop table if exists "handled_event" cascade;`);

    this.addSql(`drop table if exists "log" cascade;`);

    this.addSql(`drop table if exists "object_access" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop table if exists "variable" cascade;`);

  }

}
