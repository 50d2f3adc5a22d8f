import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022409 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`audit_chain\` (\`account_id\` text not null, \`head_seq\` integer not null default 0, \`head_hash\` text not null default '', \`head_id\` text null, \`anchor_seq\` integer not null default 0, \`anchor_hash\` text not null default '', \`retention_days\` integer null, \`purged_at\` datetime null, primary key (\`account_id\`));`,
    );

    this.addSql(
      `create table \`audit_event\` (\`id\` text not null, \`account_id\` text not null, \`workspace_id\` text null, \`seq\` integer not null, \`occurred_at\` datetime not null, \`event_id\` text not null, \`actor_type\` text not null, \`actor_id\` text not null, \`actor_api_key_id\` text null, \`actor_ip\` text null, \`actor_user_agent\` text null, \`request_id\` text null, \`action\` text not null, \`resource_type\` text not null, \`resource_id\` text null, \`summary\` json not null, \`prev_hash\` text not null, \`hash\` text not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`audit_event_account_id_occurred_at_index\` on \`audit_event\` (\`account_id\`, \`occurred_at\`);`,
    );
    this.addSql(
      `create unique index \`audit_event_account_id_event_id_unique\` on \`audit_event\` (\`account_id\`, \`event_id\`);`,
    );
    this.addSql(
      `create unique index \`audit_event_account_id_seq_unique\` on \`audit_event\` (\`account_id\`, \`seq\`);`,
    );

    this.addSql(
      `create table \`audit_membership\` (\`principal_id\` text not null, \`account_id\` text not null, primary key (\`principal_id\`, \`account_id\`));`,
    );

    this.addSql(
      `create table \`audit_workspace\` (\`workspace_id\` text not null, \`account_id\` text not null, primary key (\`workspace_id\`));`,
    );

    this.addSql(`alter table \`outbox\` add column \`actor\` json null;`);
  }
}
