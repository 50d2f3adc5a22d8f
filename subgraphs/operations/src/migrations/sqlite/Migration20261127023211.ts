import { Migration } from '@mikro-orm/migrations';

export class Migration20261127023211 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`log\` (\`seq\` integer not null primary key autoincrement, \`workspace_id\` text not null, \`flow_run_id\` text not null, \`task_run_id\` text null, \`level\` integer not null, \`message\` text not null, \`timestamp\` datetime not null, \`created_at\` datetime not null);`,
    );
    this.addSql(`create index \`log_task_run_id_index\` on \`log\` (\`task_run_id\`);`);
    this.addSql(
      `create index \`log_workspace_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`timestamp\`, \`seq\`);`,
    );
    this.addSql(
      `create index \`log_workspace_id_flow_run_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`flow_run_id\`, \`timestamp\`, \`seq\`);`,
    );
  }
}
