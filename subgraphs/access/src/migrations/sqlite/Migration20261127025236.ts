import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025236 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`account_role_binding\` (\`id\` text not null, \`account_id\` text not null, \`principal_type\` text not null, \`principal_id\` text not null, \`role_id\` text not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`account_role_binding_principal_id_index\` on \`account_role_binding\` (\`principal_id\`);`);
    this.addSql(`create index \`account_role_binding_role_id_index\` on \`account_role_binding\` (\`role_id\`);`);
    this.addSql(`create unique index \`account_role_binding_account_id_principal_id_unique\` on \`account_role_binding\` (\`account_id\`, \`principal_id\`);`);

    this.addSql(`create table \`audit_chain\` (\`account_id\` text not null, \`head_seq\` integer not null default 0, \`head_hash\` text not null default '', \`head_id\` text null, \`anchor_seq\` integer not null default 0, \`anchor_hash\` text not null default '', \`retention_days\` integer null, \`purged_at\` datetime null, primary key (\`account_id\`));`);

    this.addSql(`create table \`audit_event\` (\`id\` text not null, \`account_id\` text not null, \`workspace_id\` text null, \`seq\` integer not null, \`occurred_at\` datetime not null, \`event_id\` text not null, \`actor_type\` text not null, \`actor_id\` text not null, \`actor_api_key_id\` text null, \`actor_ip\` text null, \`actor_user_agent\` text null, \`request_id\` text null, \`action\` text not null, \`resource_type\` text not null, \`resource_id\` text null, \`summary\` json not null, \`prev_hash\` text not null, \`hash\` text not null, primary key (\`id\`));`);
    this.addSql(`create index \`audit_event_account_id_occurred_at_index\` on \`audit_event\` (\`account_id\`, \`occurred_at\`);`);
    this.addSql(`create unique index \`audit_event_account_id_event_id_unique\` on \`audit_event\` (\`account_id\`, \`event_id\`);`);
    this.addSql(`create unique index \`audit_event_account_id_seq_unique\` on \`audit_event\` (\`account_id\`, \`seq\`);`);

    this.addSql(`create table \`audit_membership\` (\`principal_id\` text not null, \`account_id\` text not null, primary key (\`principal_id\`, \`account_id\`));`);

    this.addSql(`create table \`audit_workspace\` (\`workspace_id\` text not null, \`account_id\` text not null, primary key (\`workspace_id\`));`);

    this.addSql(`create table \`custom_role\` (\`id\` text not null, \`account_id\` text not null, \`name\` text not null, \`description\` text not null default '', \`level\` text not null, \`permissions\` json not null, \`inherits_from\` text null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`custom_role_account_id_index\` on \`custom_role\` (\`account_id\`);`);
    this.addSql(`create unique index \`custom_role_account_id_name_unique\` on \`custom_role\` (\`account_id\`, \`name\`);`);

    this.addSql(`create table \`handled_event\` (\`consumer\` text not null, \`event_id\` text not null, \`handled_at\` datetime not null, primary key (\`consumer\`, \`event_id\`));`);

    this.addSql(`create table \`outbox\` (\`seq\` integer not null primary key autoincrement, \`id\` text not null, \`type\` text not null, \`payload\` json not null, \`occurred_at\` datetime not null, \`actor\` json null, \`sent_at\` datetime null);`);
    this.addSql(`create unique index \`outbox_id_unique\` on \`outbox\` (\`id\`);`);
    this.addSql(`create index \`outbox_sent_at_index\` on \`outbox\` (\`sent_at\`);`);

    this.addSql(`create table \`team\` (\`id\` text not null, \`account_id\` text not null, \`name\` text not null, \`description\` text not null default '', \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`team_account_id_index\` on \`team\` (\`account_id\`);`);
    this.addSql(`create unique index \`team_account_id_name_unique\` on \`team\` (\`account_id\`, \`name\`);`);

    this.addSql(`create table \`team_member\` (\`id\` text not null, \`team_id\` text not null, \`account_id\` text not null, \`principal_type\` text not null, \`principal_id\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`team_member_account_id_index\` on \`team_member\` (\`account_id\`);`);
    this.addSql(`create index \`team_member_principal_id_index\` on \`team_member\` (\`principal_id\`);`);
    this.addSql(`create unique index \`team_member_team_id_principal_id_unique\` on \`team_member\` (\`team_id\`, \`principal_id\`);`);

    this.addSql(`create table \`workspace_role_binding\` (\`id\` text not null, \`account_id\` text not null, \`workspace_id\` text not null, \`principal_type\` text not null, \`principal_id\` text not null, \`role\` text null, \`role_id\` text null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`workspace_role_binding_account_id_index\` on \`workspace_role_binding\` (\`account_id\`);`);
    this.addSql(`create index \`workspace_role_binding_principal_id_index\` on \`workspace_role_binding\` (\`principal_id\`);`);
    this.addSql(`create index \`workspace_role_binding_role_id_index\` on \`workspace_role_binding\` (\`role_id\`);`);
    this.addSql(`create unique index \`workspace_role_binding_workspace_id_principal_id_unique\` on \`workspace_role_binding\` (\`workspace_id\`, \`principal_id\`);`);
  }

}
