import { Migration } from '@mikro-orm/migrations';

export class Migration20261127023443 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "artifact" ("id" uuid not null, "workspace_id" uuid not null, "key" varchar(200) null, "type" varchar(20) not null, "data" jsonb not null, "description" text null, "flow_run_id" uuid null, "task_run_id" uuid null, "created_at" timestamptz not null, constraint "artifact_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "artifact_workspace_id_index" on "artifact" ("workspace_id");`);
    this.addSql(`create index "artifact_flow_run_id_index" on "artifact" ("flow_run_id");`);
    this.addSql(`create index "artifact_task_run_id_index" on "artifact" ("task_run_id");`);
    this.addSql(
      `create index "artifact_workspace_id_key_created_at_index" on "artifact" ("workspace_id", "key", "created_at");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "artifact" cascade;`);
  }
}
