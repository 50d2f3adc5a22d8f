import { Migration } from '@mikro-orm/migrations';

export class Migration20261203173750 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`flow_run_credential\` (\`id\` text not null, \`workspace_id\` text not null, \`account_id\` text not null, \`flow_run_id\` text not null, \`key_hash\` text not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, \`last_used_at\` datetime null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`flow_run_credential_workspace_id_index\` on \`flow_run_credential\` (\`workspace_id\`);`);
    this.addSql(`create index \`flow_run_credential_flow_run_id_index\` on \`flow_run_credential\` (\`flow_run_id\`);`);
    this.addSql(`create unique index \`flow_run_credential_key_hash_unique\` on \`flow_run_credential\` (\`key_hash\`);`);

    this.addSql(`create table \`push_submission\` (\`id\` text not null, \`workspace_id\` text not null, \`flow_run_id\` text not null, \`work_pool_id\` text not null, \`pool_type\` text not null, \`status\` text not null default 'SUBMITTING', \`attempts\` integer not null default 0, \`next_attempt_at\` datetime not null, \`lease_until\` datetime null, \`lease_token\` text null, \`infrastructure_id\` text null, \`last_error\` text null, \`created_at\` datetime not null, \`submitted_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`push_submission_workspace_id_index\` on \`push_submission\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`push_submission_flow_run_id_unique\` on \`push_submission\` (\`flow_run_id\`);`);
    this.addSql(`create index \`push_submission_work_pool_id_index\` on \`push_submission\` (\`work_pool_id\`);`);
    this.addSql(`create index \`push_submission_status_next_attempt_at_index\` on \`push_submission\` (\`status\`, \`next_attempt_at\`);`);

    this.addSql(`alter table \`work_pool\` add column \`push_settings\` json null;`);
    this.addSql(`alter table \`work_pool\` add column \`push_secret\` text null;`);
  }

}
