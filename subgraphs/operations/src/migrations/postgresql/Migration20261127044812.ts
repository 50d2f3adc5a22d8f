import { Migration } from '@mikro-orm/migrations';

export class Migration20261127044812 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "event" ("seq" serial primary key, "id" uuid not null, "workspace_id" uuid not null, "occurred" timestamptz not null, "received" timestamptz not null, "name" varchar(1024) not null, "resource_id" varchar(1024) not null, "resource" jsonb not null, "related" jsonb not null, "payload" jsonb not null, "follows" uuid null);`);
    this.addSql(`alter table "event" add constraint "event_id_unique" unique ("id");`);
    this.addSql(`create index "event_workspace_id_name_index" on "event" ("workspace_id", "name");`);
    this.addSql(`create index "event_workspace_id_resource_id_index" on "event" ("workspace_id", "resource_id");`);
    this.addSql(`create index "event_workspace_id_occurred_index" on "event" ("workspace_id", "occurred");`);

    this.addSql(`create table "event_related" ("event_id" uuid not null, "resource_id" varchar(1024) not null, "role" varchar(100) not null, "workspace_id" uuid not null, constraint "event_related_pkey" primary key ("event_id", "resource_id", "role"));`);
    this.addSql(`create index "event_related_workspace_id_resource_id_index" on "event_related" ("workspace_id", "resource_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "event" cascade;`);

    this.addSql(`drop table if exists "event_related" cascade;`);
  }

}
