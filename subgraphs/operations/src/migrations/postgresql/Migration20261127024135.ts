import { Migration } from '@mikro-orm/migrations';

export class Migration20261127024135 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "object_access" ("id" uuid not null, "workspace_id" uuid not null, "object_type" varchar(30) not null, "object_id" uuid not null, "entries" jsonb not null, "updated_at" timestamptz not null, constraint "object_access_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "object_access_workspace_id_object_type_index" on "object_access" ("workspace_id", "object_type");`,
    );
    this.addSql(
      `alter table "object_access" add constraint "object_access_object_type_object_id_unique" unique ("object_type", "object_id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "object_access" cascade;`);
  }
}
