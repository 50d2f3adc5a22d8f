import { Migration } from '@mikro-orm/migrations';

export class Migration20261127031100 extends Migration {

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

    this.addSql(`create table \`deployment\` (\`id\` text not null, \`workspace_id\` text not null, \`flow_id\` text not null, \`name\` text not null, \`description\` text null, \`version\` text null, \`parameters\` json not null, \`parameter_schema\` json null, \`work_pool_id\` text null, \`work_queue_id\` text null, \`job_variables\` json not null, \`concurrency_limit\` integer null, \`collision_strategy\` text not null default 'ENQUEUE', \`retries\` integer null, \`retry_delay_seconds\` integer null, \`paused\` integer not null default false, \`tags\` json not null, \`created_by_type\` text not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`deployment_workspace_id_index\` on \`deployment\` (\`workspace_id\`);`);
    this.addSql(`create index \`deployment_flow_id_index\` on \`deployment\` (\`flow_id\`);`);
    this.addSql(`create index \`deployment_work_pool_id_index\` on \`deployment\` (\`work_pool_id\`);`);
    this.addSql(`create unique index \`deployment_flow_id_name_unique\` on \`deployment\` (\`flow_id\`, \`name\`);`);

    this.addSql(`create table \`deployment_schedule\` (\`id\` text not null, \`deployment_id\` text not null, \`workspace_id\` text not null, \`active\` integer not null default true, \`cron\` text null, \`interval_seconds\` integer null, \`anchor_date\` datetime null, \`rrule\` text null, \`timezone\` text not null default 'UTC', \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`deployment_schedule_deployment_id_index\` on \`deployment_schedule\` (\`deployment_id\`);`);
    this.addSql(`create index \`deployment_schedule_workspace_id_index\` on \`deployment_schedule\` (\`workspace_id\`);`);

    this.addSql(`create table \`flow\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`tags\` json not null, \`labels\` json not null, \`created_by_type\` text check (\`created_by_type\` in ('USER', 'SERVICE_ACCOUNT')) not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`flow_workspace_id_index\` on \`flow\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`flow_workspace_id_name_unique\` on \`flow\` (\`workspace_id\`, \`name\`);`);

    this.addSql(`create table \`flow_run\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`tags\` json not null, \`expected_start_time\` datetime null, \`next_scheduled_start_time\` datetime null, \`start_time\` datetime null, \`end_time\` datetime null, \`run_count\` integer not null default 0, \`total_run_time\` double not null default 0, \`retries\` integer not null default 0, \`retry_delay_seconds\` integer not null default 0, \`state_id\` text null, \`state_type\` text not null, \`state_name\` text not null, \`state_timestamp\` datetime not null, \`state_message\` text null, \`state_details\` json not null, \`pause_expires_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`flow_id\` text not null, \`deployment_id\` text null, \`parameters\` json not null, \`labels\` json not null, \`idempotency_key\` text null, \`auto_scheduled\` integer not null default false, \`parent_task_run_id\` text null, \`work_pool_id\` text null, \`work_queue_id\` text null, \`infrastructure_id\` text null, \`worker_name\` text null, \`holds_deployment_slot\` integer not null default false, \`created_by_type\` text null, \`created_by_id\` text null, primary key (\`id\`));`);
    this.addSql(`create index \`flow_run_flow_id_index\` on \`flow_run\` (\`flow_id\`);`);
    this.addSql(`create index \`flow_run_work_pool_id_index\` on \`flow_run\` (\`work_pool_id\`);`);
    this.addSql(`create index \`flow_run_deployment_id_holds_deployment_slot_index\` on \`flow_run\` (\`deployment_id\`, \`holds_deployment_slot\`);`);
    this.addSql(`create index \`flow_run_state_type_next_scheduled_start_time_index\` on \`flow_run\` (\`state_type\`, \`next_scheduled_start_time\`);`);
    this.addSql(`create index \`flow_run_work_queue_id_state_type_next_scheduled_start_time_index\` on \`flow_run\` (\`work_queue_id\`, \`state_type\`, \`next_scheduled_start_time\`);`);
    this.addSql(`create index \`flow_run_workspace_id_created_at_index\` on \`flow_run\` (\`workspace_id\`, \`created_at\`);`);
    this.addSql(`create unique index \`flow_run_workspace_id_idempotency_key_unique\` on \`flow_run\` (\`workspace_id\`, \`idempotency_key\`);`);

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

    this.addSql(`create table \`run_state\` (\`id\` text not null, \`run_id\` text not null, \`run_kind\` text not null, \`type\` text not null, \`name\` text not null, \`message\` text null, \`details\` json not null, \`timestamp\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`run_state_run_id_timestamp_index\` on \`run_state\` (\`run_id\`, \`timestamp\`);`);

    this.addSql(`create table \`task_run\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`tags\` json not null, \`expected_start_time\` datetime null, \`next_scheduled_start_time\` datetime null, \`start_time\` datetime null, \`end_time\` datetime null, \`run_count\` integer not null default 0, \`total_run_time\` double not null default 0, \`retries\` integer not null default 0, \`retry_delay_seconds\` integer not null default 0, \`state_id\` text null, \`state_type\` text not null, \`state_name\` text not null, \`state_timestamp\` datetime not null, \`state_message\` text null, \`state_details\` json not null, \`pause_expires_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`flow_run_id\` text not null, \`task_key\` text not null, \`dynamic_key\` text not null, \`cache_key\` text null, primary key (\`id\`));`);
    this.addSql(`create unique index \`task_run_flow_run_id_task_key_dynamic_key_unique\` on \`task_run\` (\`flow_run_id\`, \`task_key\`, \`dynamic_key\`);`);

    this.addSql(`create table \`variable\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`value\` json not null, \`tags\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`variable_workspace_id_index\` on \`variable\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`variable_workspace_id_name_unique\` on \`variable\` (\`workspace_id\`, \`name\`);`);

    this.addSql(`create table \`worker\` (\`id\` text not null, \`work_pool_id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`last_heartbeat_at\` datetime not null, \`heartbeat_interval_seconds\` integer not null default 30, \`offline_after\` datetime not null, \`status\` text not null default 'ONLINE', \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`worker_workspace_id_index\` on \`worker\` (\`workspace_id\`);`);
    this.addSql(`create index \`worker_status_offline_after_index\` on \`worker\` (\`status\`, \`offline_after\`);`);
    this.addSql(`create unique index \`worker_work_pool_id_name_unique\` on \`worker\` (\`work_pool_id\`, \`name\`);`);

    this.addSql(`create table \`work_pool\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`description\` text null, \`type\` text not null, \`base_job_template\` json not null, \`concurrency_limit\` integer null, \`paused\` integer not null default false, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`work_pool_workspace_id_index\` on \`work_pool\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`work_pool_workspace_id_name_unique\` on \`work_pool\` (\`workspace_id\`, \`name\`);`);

    this.addSql(`create table \`work_queue\` (\`id\` text not null, \`work_pool_id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`description\` text null, \`priority\` integer not null default 1, \`concurrency_limit\` integer null, \`paused\` integer not null default false, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`work_queue_workspace_id_index\` on \`work_queue\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`work_queue_work_pool_id_name_unique\` on \`work_queue\` (\`work_pool_id\`, \`name\`);`);
  }

}
