import { Migration } from '@mikro-orm/migrations';

export class Migration20261127023442 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`artifact\` (\`id\` text not null, \`workspace_id\` text not null, \`key\` text null, \`type\` text not null, \`data\` json not null, \`description\` text null, \`flow_run_id\` text null, \`task_run_id\` text null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`artifact_workspace_id_index\` on \`artifact\` (\`workspace_id\`);`);
    this.addSql(`create index \`artifact_flow_run_id_index\` on \`artifact\` (\`flow_run_id\`);`);
    this.addSql(`create index \`artifact_task_run_id_index\` on \`artifact\` (\`task_run_id\`);`);
    this.addSql(
      `create index \`artifact_workspace_id_key_created_at_index\` on \`artifact\` (\`workspace_id\`, \`key\`, \`created_at\`);`,
    );

    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(
      `create table \`log__temp_alter\` (\`seq\` integer not null primary key autoincrement, \`workspace_id\` text not null, \`flow_run_id\` text not null, \`task_run_id\` text null, \`level\` integer not null, \`message\` text not null, \`timestamp\` datetime not null, \`created_at\` datetime not null);`,
    );
    this.addSql(
      `insert into \`log__temp_alter\` select \`seq\`, \`workspace_id\`, \`flow_run_id\`, \`task_run_id\`, \`level\`, \`message\`, \`timestamp\`, \`created_at\` from \`log\`;`,
    );
    this.addSql(`drop table \`log\`;`);
    this.addSql(`alter table \`log__temp_alter\` rename to \`log\`;`);
    this.addSql(`create index \`log_task_run_id_index\` on \`log\` (\`task_run_id\`);`);
    this.addSql(
      `create index \`log_workspace_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`timestamp\`, \`seq\`);`,
    );
    this.addSql(
      `create index \`log_workspace_id_flow_run_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`flow_run_id\`, \`timestamp\`, \`seq\`);`,
    );
    this.addSql(`pragma foreign_keys = on;`);
  }
}
