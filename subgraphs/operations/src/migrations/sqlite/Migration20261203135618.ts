import { Migration } from '@mikro-orm/migrations';

export class Migration20261203135618 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`error_summary\` (\`id\` text not null, \`workspace_id\` text not null, \`account_id\` text not null, \`flow_run_id\` text not null, \`state_id\` text not null, \`flow_id\` text null, \`deployment_id\` text null, \`state_type\` text not null, \`failed_at\` datetime not null, \`status\` text not null default 'PENDING', \`attempts\` integer not null default 0, \`next_attempt_at\` datetime not null, \`lease_until\` datetime null, \`lease_token\` text null, \`last_error\` text null, \`engine\` text null, \`explanation\` text null, \`root_cause\` json null, \`fix_kind\` text null, \`fix_hint\` text null, \`evidence\` json not null, \`signature\` text null, \`signature_message\` text null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`error_summary_flow_run_id_index\` on \`error_summary\` (\`flow_run_id\`);`);
    this.addSql(`create unique index \`error_summary_state_id_unique\` on \`error_summary\` (\`state_id\`);`);
    this.addSql(`create index \`error_summary_status_next_attempt_at_index\` on \`error_summary\` (\`status\`, \`next_attempt_at\`);`);
    this.addSql(`create index \`error_summary_workspace_id_signature_failed_at_index\` on \`error_summary\` (\`workspace_id\`, \`signature\`, \`failed_at\`);`);

    this.addSql(`create table \`error_summary_account\` (\`account_id\` text not null, \`enabled\` integer not null default false, primary key (\`account_id\`));`);

    this.addSql(`create table \`error_summary_llm_usage\` (\`account_id\` text not null, \`day\` text not null, \`calls\` integer not null default 0, primary key (\`account_id\`, \`day\`));`);

    this.addSql(`create table \`error_summary_workspace\` (\`workspace_id\` text not null, \`account_id\` text not null, primary key (\`workspace_id\`));`);
    this.addSql(`create index \`error_summary_workspace_account_id_index\` on \`error_summary_workspace\` (\`account_id\`);`);
  }

}
