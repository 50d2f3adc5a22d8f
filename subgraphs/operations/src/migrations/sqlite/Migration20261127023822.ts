import { Migration } from '@mikro-orm/migrations';

export class Migration20261127023822 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`concurrency_lease\` (\`lease_id\` text not null, \`limit_id\` text not null, \`workspace_id\` text not null, \`slots\` integer not null, \`expires_at\` datetime not null, \`holder_type\` text not null, \`holder_id\` text not null, \`created_at\` datetime not null, primary key (\`lease_id\`, \`limit_id\`));`,
    );
    this.addSql(
      `create index \`concurrency_lease_workspace_id_index\` on \`concurrency_lease\` (\`workspace_id\`);`,
    );
    this.addSql(
      `create index \`concurrency_lease_expires_at_index\` on \`concurrency_lease\` (\`expires_at\`);`,
    );

    this.addSql(
      `create table \`concurrency_limit\` (\`id\` text not null, \`workspace_id\` text not null, \`kind\` text not null, \`name\` text not null, \`limit\` integer not null, \`active\` integer not null default true, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`concurrency_limit_workspace_id_index\` on \`concurrency_limit\` (\`workspace_id\`);`,
    );
    this.addSql(
      `create unique index \`concurrency_limit_workspace_id_kind_name_unique\` on \`concurrency_limit\` (\`workspace_id\`, \`kind\`, \`name\`);`,
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
