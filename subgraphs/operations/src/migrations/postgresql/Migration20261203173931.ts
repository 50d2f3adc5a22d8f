import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173931 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "log" add column "worker_id" uuid null;`);
    this.addSql(`alter table "log" alter column "flow_run_id" drop not null;`);
    this.addSql(`create index "log_workspace_id_worker_id_timestamp_seq_index" on "log" ("workspace_id", "worker_id", "timestamp", "seq");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "log_workspace_id_worker_id_timestamp_seq_index";`);
    // A worker's own lines have no flow run: they cannot stay in the older table.
    this.addSql(`delete from "log" where "flow_run_id" is null;`);
    this.addSql(`alter table "log" drop column "worker_id";`);
    this.addSql(`alter table "log" alter column "flow_run_id" set not null;`);
  }

}
