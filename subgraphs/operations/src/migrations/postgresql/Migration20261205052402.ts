import { Migration } from '@mikro-orm/migrations';

export class Migration20261205052402 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "flow_run_settings" ("workspace_id" uuid not null, "retention_days" int not null default 30, "updated_at" timestamptz not null, constraint "flow_run_settings_pkey" primary key ("workspace_id"));`);

    this.addSql(`create index "flow_run_workspace_id_end_time_index" on "flow_run" ("workspace_id", "end_time");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "flow_run_settings" cascade;`);

    this.addSql(`drop index "flow_run_workspace_id_end_time_index";`);
  }

}
