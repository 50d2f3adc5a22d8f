import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173921 extends Migration {

  override async up(): Promise<void> {
    // Written by hand: MikroORM's SQLite diff does not see a column becoming nullable. A worker's
    // own log lines have no flow run: the table is rebuilt with `flow_run_id` null and `worker_id`.
    this.addSql(`create table \`log__new\` (\`seq\` integer not null primary key autoincrement, \`workspace_id\` text not null, \`flow_run_id\` text null, \`task_run_id\` text null, \`worker_id\` text null, \`level\` integer not null, \`message\` text not null, \`timestamp\` datetime not null, \`created_at\` datetime not null);`);
    this.addSql(`insert into \`log__new\` (\`seq\`, \`workspace_id\`, \`flow_run_id\`, \`task_run_id\`, \`level\`, \`message\`, \`timestamp\`, \`created_at\`) select \`seq\`, \`workspace_id\`, \`flow_run_id\`, \`task_run_id\`, \`level\`, \`message\`, \`timestamp\`, \`created_at\` from \`log\`;`);
    this.addSql(`drop table \`log\`;`);
    this.addSql(`alter table \`log__new\` rename to \`log\`;`);
    this.addSql(`create index \`log_task_run_id_index\` on \`log\` (\`task_run_id\`);`);
    this.addSql(`create index \`log_workspace_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`timestamp\`, \`seq\`);`);
    this.addSql(`create index \`log_workspace_id_flow_run_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`flow_run_id\`, \`timestamp\`, \`seq\`);`);
    this.addSql(`create index \`log_workspace_id_worker_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`worker_id\`, \`timestamp\`, \`seq\`);`);
  }

}
