import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025236 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`account\` (\`id\` text not null, \`handle\` text not null, \`name\` text not null, \`ai_error_summaries\` integer not null default false, \`allowed_sso_domains\` json not null, \`ip_allow_list\` json not null, \`audit_retention_days\` integer not null default 365, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`deleted_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create unique index \`account_handle_unique\` on \`account\` (\`handle\`);`);

    this.addSql(`create table \`account_membership\` (\`id\` text not null, \`account_id\` text not null, \`principal_type\` text check (\`principal_type\` in ('USER', 'SERVICE_ACCOUNT')) not null, \`principal_id\` text not null, \`role\` text not null, \`active\` integer not null default true, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`account_membership_account_id_index\` on \`account_membership\` (\`account_id\`);`);
    this.addSql(`create index \`account_membership_principal_id_index\` on \`account_membership\` (\`principal_id\`);`);
    this.addSql(`create unique index \`account_membership_account_id_principal_id_unique\` on \`account_membership\` (\`account_id\`, \`principal_id\`);`);

    this.addSql(`create table \`handled_event\` (\`consumer\` text not null, \`event_id\` text not null, \`handled_at\` datetime not null, primary key (\`consumer\`, \`event_id\`));`);

    this.addSql(`create table \`invitation\` (\`id\` text not null, \`account_id\` text not null, \`email\` text not null, \`account_role\` text not null, \`workspace_id\` text null, \`workspace_role\` text null, \`status\` text not null default 'PENDING', \`code_hash\` text not null, \`expires_at\` datetime not null, \`invited_by_id\` text not null, \`created_at\` datetime not null, \`responded_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`invitation_account_id_index\` on \`invitation\` (\`account_id\`);`);
    this.addSql(`create index \`invitation_email_index\` on \`invitation\` (\`email\`);`);
    this.addSql(`create unique index \`invitation_code_hash_unique\` on \`invitation\` (\`code_hash\`);`);

    this.addSql(`create table \`outbox\` (\`seq\` integer not null primary key autoincrement, \`id\` text not null, \`type\` text not null, \`payload\` json not null, \`occurred_at\` datetime not null, \`actor\` json null, \`sent_at\` datetime null);`);
    this.addSql(`create unique index \`outbox_id_unique\` on \`outbox\` (\`id\`);`);
    this.addSql(`create index \`outbox_sent_at_index\` on \`outbox\` (\`sent_at\`);`);

    this.addSql(`create table \`workspace\` (\`id\` text not null, \`account_id\` text not null, \`handle\` text not null, \`name\` text not null, \`description\` text null, \`default_role\` text null default 'VIEWER', \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`workspace_account_id_index\` on \`workspace\` (\`account_id\`);`);
    this.addSql(`create unique index \`workspace_account_id_handle_unique\` on \`workspace\` (\`account_id\`, \`handle\`);`);
  }

}
