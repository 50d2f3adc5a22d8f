import { Migration } from '@mikro-orm/migrations';

export class Migration20261127050829 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "incident" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(200) not null, "summary" text null, "severity" varchar(16) not null, "status" varchar(16) not null default 'ACTIVE', "start_time" timestamptz not null, "end_time" timestamptz null, "tags" jsonb not null, "declared_by_type" varchar(20) not null, "declared_by_id" uuid not null, "last_event_id" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "incident_pkey" primary key ("id"));`);
    this.addSql(`create index "incident_workspace_id_index" on "incident" ("workspace_id");`);
    this.addSql(`create index "incident_workspace_id_status_index" on "incident" ("workspace_id", "status");`);

    this.addSql(`create table "incident_resource" ("incident_id" uuid not null, "kind" varchar(20) not null, "resource_id" uuid not null, "workspace_id" uuid not null, "position" int not null, constraint "incident_resource_pkey" primary key ("incident_id", "kind", "resource_id"));`);
    this.addSql(`create index "incident_resource_workspace_id_resource_id_index" on "incident_resource" ("workspace_id", "resource_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "incident" cascade;`);

    this.addSql(`drop table if exists "incident_resource" cascade;`);
  }

}
