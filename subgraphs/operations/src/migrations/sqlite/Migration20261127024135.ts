import { Migration } from '@mikro-orm/migrations';

export class Migration20261127024135 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`object_access\` (\`id\` text not null, \`workspace_id\` text not null, \`object_type\` text not null, \`object_id\` text not null, \`entries\` json not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`object_access_workspace_id_object_type_index\` on \`object_access\` (\`workspace_id\`, \`object_type\`);`,
    );
    this.addSql(
      `create unique index \`object_access_object_type_object_id_unique\` on \`object_access\` (\`object_type\`, \`object_id\`);`,
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
