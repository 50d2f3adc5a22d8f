import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025236 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "flow" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "tags" jsonb not null, "labels" jsonb not null, "created_by_type" text check ("created_by_type" in ('USER', 'SERVICE_ACCOUNT')) not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "flow_pkey" primary key ("id"));`);
    this.addSql(`create index "flow_workspace_id_index" on "flow" ("workspace_id");`);
    this.addSql(`alter table "flow" add constraint "flow_workspace_id_name_unique" unique ("workspace_id", "name");`);

    this.addSql(`create table "handled_event" ("consumer" varchar(80) not null, "event_id" uuid not null, "handled_at" timestamptz not null, constraint "handled_event_pkey" primary key ("consumer", "event_id"));`);

    this.addSql(`create table "outbox" ("seq" serial primary key, "id" uuid not null, "type" varchar(120) not null, "payload" jsonb not null, "occurred_at" timestamptz not null, "actor" jsonb null, "sent_at" timestamptz null);`);
    this.addSql(`alter table "outbox" add constraint "outbox_id_unique" unique ("id");`);
    this.addSql(`create index "outbox_sent_at_index" on "outbox" ("sent_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "flow" cascade;`);

    this.addSql(`drop table if exists "handled_event" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

  }

}
