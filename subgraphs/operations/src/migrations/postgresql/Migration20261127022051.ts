import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022051 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "variable" ("id" uuid not null, "workspace_id" uuid not null, "name" varchar(255) not null, "value" jsonb not null, "tags" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "variable_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "variable_workspace_id_index" on "variable" ("workspace_id");`);
    this.addSql(
      `alter table "variable" add constraint "variable_workspace_id_name_unique" unique ("workspace_id", "name");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "variable" cascade;`);
  }
}
