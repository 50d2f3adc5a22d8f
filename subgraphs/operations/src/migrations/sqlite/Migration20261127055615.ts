import { Migration } from '@mikro-orm/migrations';

export class Migration20261127055615 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`automation\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`description\` text null, \`enabled\` integer not null default true, \`trigger\` json not null, \`actions\` json not null, \`actions_on_trigger\` json not null, \`actions_on_resolve\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`automation_workspace_id_created_at_index\` on \`automation\` (\`workspace_id\`, \`created_at\`);`);

    this.addSql(`create table \`automation_bucket\` (\`id\` text not null, \`automation_id\` text not null, \`workspace_id\` text not null, \`trigger_path\` text not null, \`bucket_key\` text not null, \`posture\` text null, \`window_start\` datetime null, \`window_end\` datetime null, \`count\` integer not null default 0, \`fired_at\` datetime null, \`resolved_at\` datetime null, \`state\` json not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`automation_bucket_posture_window_end_index\` on \`automation_bucket\` (\`posture\`, \`window_end\`);`);
    this.addSql(`create unique index \`automation_bucket_automation_id_trigger_path_bucket_key_unique\` on \`automation_bucket\` (\`automation_id\`, \`trigger_path\`, \`bucket_key\`);`);

    this.addSql(`create table \`automation_revision\` (\`workspace_id\` text not null, \`revision\` integer not null default 0, primary key (\`workspace_id\`));`);

    this.addSql(`create table \`webhook_delivery\` (\`id\` text not null, \`workspace_id\` text not null, \`automation_id\` text not null, \`automation_name\` text not null, \`action_id\` text not null, \`action_type\` text not null, \`firing\` text not null, \`firing_event_id\` text not null, \`triggering_event_id\` text null, \`depth\` integer not null default 0, \`related\` json not null, \`url\` text not null, \`method\` text not null, \`headers\` json not null, \`content_type\` text not null, \`body\` text not null, \`secret\` text null, \`status\` text not null default 'PENDING', \`attempts\` integer not null default 0, \`next_attempt_at\` datetime not null, \`lease_until\` datetime null, \`lease_token\` text null, \`last_status\` integer null, \`last_error\` text null, \`created_at\` datetime not null, \`completed_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`webhook_delivery_workspace_id_index\` on \`webhook_delivery\` (\`workspace_id\`);`);
    this.addSql(`create index \`webhook_delivery_automation_id_index\` on \`webhook_delivery\` (\`automation_id\`);`);
    this.addSql(`create index \`webhook_delivery_status_next_attempt_at_index\` on \`webhook_delivery\` (\`status\`, \`next_attempt_at\`);`);
  }

}
