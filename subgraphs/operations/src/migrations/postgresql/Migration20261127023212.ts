import { Migration } from '@mikro-orm/migrations';

export class Migration20261127023212 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "log" ("seq" bigserial primary key, "workspace_id" uuid not null, "flow_run_id" uuid not null, "task_run_id" uuid null, "level" smallint not null, "message" text not null, "timestamp" timestamptz not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "log_task_run_id_index" on "log" ("task_run_id");`);
    this.addSql(
      `create index "log_workspace_id_timestamp_seq_index" on "log" ("workspace_id", "timestamp", "seq");`,
    );
    this.addSql(
      `create index "log_workspace_id_flow_run_id_timestamp_seq_index" on "log" ("workspace_id", "flow_run_id", "timestamp", "seq");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "log" cascade;`);
  }
}
