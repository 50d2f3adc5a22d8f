import { Migration } from '@mikro-orm/migrations';

export class Migration20261127015040 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`handled_event\` (\`consumer\` text not null, \`event_id\` text not null, \`handled_at\` datetime not null, primary key (\`consumer\`, \`event_id\`));`,
    );

    this.addSql(
      `create table \`outbox\` (\`seq\` integer not null primary key autoincrement, \`id\` text not null, \`type\` text not null, \`payload\` json not null, \`occurred_at\` datetime not null, \`sent_at\` datetime null);`,
    );
    this.addSql(`create unique index \`outbox_id_unique\` on \`outbox\` (\`id\`);`);
    this.addSql(`create index \`outbox_sent_at_index\` on \`outbox\` (\`sent_at\`);`);

    this.addSql(
      `create table \`workspace_role_binding\` (\`id\` text not null, \`account_id\` text not null, \`workspace_id\` text not null, \`principal_type\` text check (\`principal_type\` in ('USER', 'SERVICE_ACCOUNT')) not null, \`principal_id\` text not null, \`role\` text not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`workspace_role_binding_account_id_index\` on \`workspace_role_binding\` (\`account_id\`);`,
    );
    this.addSql(
      `create index \`workspace_role_binding_principal_id_index\` on \`workspace_role_binding\` (\`principal_id\`);`,
    );
    this.addSql(
      `create unique index \`workspace_role_binding_workspace_id_principal_id_unique\` on \`workspace_role_binding\` (\`workspace_id\`, \`principal_id\`);`,
    );
  }
}
