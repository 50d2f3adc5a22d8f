import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022503 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`account_role_binding\` (\`id\` text not null, \`account_id\` text not null, \`principal_type\` text not null, \`principal_id\` text not null, \`role_id\` text not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`account_role_binding_principal_id_index\` on \`account_role_binding\` (\`principal_id\`);`,
    );
    this.addSql(
      `create index \`account_role_binding_role_id_index\` on \`account_role_binding\` (\`role_id\`);`,
    );
    this.addSql(
      `create unique index \`account_role_binding_account_id_principal_id_unique\` on \`account_role_binding\` (\`account_id\`, \`principal_id\`);`,
    );

    this.addSql(
      `create table \`custom_role\` (\`id\` text not null, \`account_id\` text not null, \`name\` text not null, \`description\` text not null default '', \`level\` text not null, \`permissions\` json not null, \`inherits_from\` text null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`custom_role_account_id_index\` on \`custom_role\` (\`account_id\`);`,
    );
    this.addSql(
      `create unique index \`custom_role_account_id_name_unique\` on \`custom_role\` (\`account_id\`, \`name\`);`,
    );

    this.addSql(
      `create table \`team\` (\`id\` text not null, \`account_id\` text not null, \`name\` text not null, \`description\` text not null default '', \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`team_account_id_index\` on \`team\` (\`account_id\`);`);
    this.addSql(
      `create unique index \`team_account_id_name_unique\` on \`team\` (\`account_id\`, \`name\`);`,
    );

    this.addSql(
      `create table \`team_member\` (\`id\` text not null, \`team_id\` text not null, \`account_id\` text not null, \`principal_type\` text not null, \`principal_id\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`team_member_account_id_index\` on \`team_member\` (\`account_id\`);`,
    );
    this.addSql(
      `create index \`team_member_principal_id_index\` on \`team_member\` (\`principal_id\`);`,
    );
    this.addSql(
      `create unique index \`team_member_team_id_principal_id_unique\` on \`team_member\` (\`team_id\`, \`principal_id\`);`,
    );

    // SQLite cannot drop a check constraint or a NOT NULL (the diff does not see them either):
    // rebuild workspace_role_binding so that principal_type takes TEAM and role may be null.
    this.addSql(
      `create table \`workspace_role_binding__new\` (\`id\` text not null, \`account_id\` text not null, \`workspace_id\` text not null, \`principal_type\` text not null, \`principal_id\` text not null, \`role\` text null, \`role_id\` text null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `insert into \`workspace_role_binding__new\` (\`id\`, \`account_id\`, \`workspace_id\`, \`principal_type\`, \`principal_id\`, \`role\`, \`role_id\`, \`created_by_id\`, \`created_at\`, \`updated_at\`) select \`id\`, \`account_id\`, \`workspace_id\`, \`principal_type\`, \`principal_id\`, \`role\`, null, \`created_by_id\`, \`created_at\`, \`updated_at\` from \`workspace_role_binding\`;`,
    );
    this.addSql(`drop table \`workspace_role_binding\`;`);
    this.addSql(
      `alter table \`workspace_role_binding__new\` rename to \`workspace_role_binding\`;`,
    );
    this.addSql(
      `create index \`workspace_role_binding_account_id_index\` on \`workspace_role_binding\` (\`account_id\`);`,
    );
    this.addSql(
      `create index \`workspace_role_binding_principal_id_index\` on \`workspace_role_binding\` (\`principal_id\`);`,
    );
    this.addSql(
      `create index \`workspace_role_binding_role_id_index\` on \`workspace_role_binding\` (\`role_id\`);`,
    );
    this.addSql(
      `create unique index \`workspace_role_binding_workspace_id_principal_id_unique\` on \`workspace_role_binding\` (\`workspace_id\`, \`principal_id\`);`,
    );
  }
}
