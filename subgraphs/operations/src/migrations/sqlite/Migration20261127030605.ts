import { Migration } from '@mikro-orm/migrations';

export class Migration20261127030605 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`artifact\` (\`id\` text not null, \`workspace_id\` text not null, \`key\` text null, \`type\` text not null, \`data\` json not null, \`description\` text null, \`flow_run_id\` text null, \`task_run_id\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`artifact_workspace_id_index\` on \`artifact\` (\`workspace_id\`);`);
    this.addSql(`create index \`artifact_flow_run_id_index\` on \`artifact\` (\`flow_run_id\`);`);
    this.addSql(`create index \`artifact_task_run_id_index\` on \`artifact\` (\`task_run_id\`);`);
    this.addSql(`create index \`artifact_workspace_id_key_created_at_index\` on \`artifact\` (\`workspace_id\`, \`key\`, \`created_at\`);`);

    this.addSql(`create table \`block_document\` (\`id\` text not null, \`workspace_id\` text not null, \`block_type_id\` text not null, \`block_schema_id\` text not null, \`name\` text not null, \`values\` json not null, \`secret_values\` text null, \`secret_paths\` json not null, \`created_by_type\` text not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`block_document_workspace_id_index\` on \`block_document\` (\`workspace_id\`);`);
    this.addSql(`create index \`block_document_block_type_id_index\` on \`block_document\` (\`block_type_id\`);`);
    this.addSql(`create unique index \`block_document_workspace_id_block_type_id_name_unique\` on \`block_document\` (\`workspace_id\`, \`block_type_id\`, \`name\`);`);

    this.addSql(`create table \`block_schema\` (\`id\` text not null, \`workspace_id\` text not null, \`block_type_id\` text not null, \`version\` text not null, \`fields\` json not null, \`capabilities\` json not null, \`secret_paths\` json not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`block_schema_workspace_id_index\` on \`block_schema\` (\`workspace_id\`);`);
    this.addSql(`create index \`block_schema_block_type_id_index\` on \`block_schema\` (\`block_type_id\`);`);
    this.addSql(`create unique index \`block_schema_block_type_id_version_unique\` on \`block_schema\` (\`block_type_id\`, \`version\`);`);

    this.addSql(`create table \`block_type\` (\`id\` text not null, \`workspace_id\` text not null, \`slug\` text not null, \`name\` text not null, \`description\` text null, \`logo_url\` text null, \`documentation_url\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`block_type_workspace_id_index\` on \`block_type\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`block_type_workspace_id_slug_unique\` on \`block_type\` (\`workspace_id\`, \`slug\`);`);

    this.addSql(`create table \`concurrency_lease\` (\`lease_id\` text not null, \`limit_id\` text not null, \`workspace_id\` text not null, \`slots\` integer not null, \`expires_at\` datetime not null, \`holder_type\` text not null, \`holder_id\` text not null, \`created_at\` datetime not null, primary key (\`lease_id\`, \`limit_id\`));`);
    this.addSql(`create index \`concurrency_lease_workspace_id_index\` on \`concurrency_lease\` (\`workspace_id\`);`);
    this.addSql(`create index \`concurrency_lease_expires_at_index\` on \`concurrency_lease\` (\`expires_at\`);`);

    this.addSql(`create table \`concurrency_limit\` (\`id\` text not null, \`workspace_id\` text not null, \`kind\` text not null, \`name\` text not null, \`limit\` integer not null, \`active\` integer not null default true, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`concurrency_limit_workspace_id_index\` on \`concurrency_limit\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`concurrency_limit_workspace_id_kind_name_unique\` on \`concurrency_limit\` (\`workspace_id\`, \`kind\`, \`name\`);`);

    this.addSql(`create table \`flow\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`tags\` json not null, \`labels\` json not null, \`created_by_type\` text check (\`created_by_type\` in ('USER', 'SERVICE_ACCOUNT')) not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`flow_workspace_id_index\` on \`flow\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`flow_workspace_id_name_unique\` on \`flow\` (\`workspace_id\`, \`name\`);`);

    this.addSql(`create table \`handled_event\` (\`consumer\` text not null, \`event_id\` text not null, \`handled_at\` datetime not null, primary key (\`consumer\`, \`event_id\`));`);

    this.addSql(`create table \`log\` (\`seq\` integer not null primary key autoincrement, \`workspace_id\` text not null, \`flow_run_id\` text not null, \`task_run_id\` text null, \`level\` integer not null, \`message\` text not null, \`timestamp\` datetime not null, \`created_at\` datetime not null);`);
    this.addSql(`create index \`log_task_run_id_index\` on \`log\` (\`task_run_id\`);`);
    this.addSql(`create index \`log_workspace_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`timestamp\`, \`seq\`);`);
    this.addSql(`create index \`log_workspace_id_flow_run_id_timestamp_seq_index\` on \`log\` (\`workspace_id\`, \`flow_run_id\`, \`timestamp\`, \`seq\`);`);

    this.addSql(`create table \`object_access\` (\`id\` text not null, \`workspace_id\` text not null, \`object_type\` text not null, \`object_id\` text not null, \`entries\` json not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`object_access_workspace_id_object_type_index\` on \`object_access\` (\`workspace_id\`, \`object_type\`);`);
    this.addSql(`create unique index \`object_access_object_type_object_id_unique\` on \`object_access\` (\`object_type\`, \`object_id\`);`);

    this.addSql(`create table \`outbox\` (\`seq\` integer not null primary key autoincrement, \`id\` text not null, \`type\` text not null, \`payload\` json not null, \`occurred_at\` datetime not null, \`actor\` json null, \`sent_at\` datetime null);`);
    this.addSql(`create unique index \`outbox_id_unique\` on \`outbox\` (\`id\`);`);
    this.addSql(`create index \`outbox_sent_at_index\` on \`outbox\` (\`sent_at\`);`);

    this.addSql(`create table \`variable\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`value\` json not null, \`tags\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`variable_workspace_id_index\` on \`variable\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`variable_workspace_id_name_unique\` on \`variable\` (\`workspace_id\`, \`name\`);`);
  }

}
