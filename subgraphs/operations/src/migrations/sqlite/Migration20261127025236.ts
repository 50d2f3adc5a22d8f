import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025236 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`flow\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`tags\` json not null, \`labels\` json not null, \`created_by_type\` text check (\`created_by_type\` in ('USER', 'SERVICE_ACCOUNT')) not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`flow_workspace_id_index\` on \`flow\` (\`workspace_id\`);`);
    this.addSql(`create unique index \`flow_workspace_id_name_unique\` on \`flow\` (\`workspace_id\`, \`name\`);`);

    this.addSql(`create table \`handled_event\` (\`consumer\` text not null, \`event_id\` text not null, \`handled_at\` datetime not null, primary key (\`consumer\`, \`event_id\`));`);

    this.addSql(`create table \`outbox\` (\`seq\` integer not null primary key autoincrement, \`id\` text not null, \`type\` text not null, \`payload\` json not null, \`occurred_at\` datetime not null, \`actor\` json null, \`sent_at\` datetime null);`);
    this.addSql(`create unique index \`outbox_id_unique\` on \`outbox\` (\`id\`);`);
    this.addSql(`create index \`outbox_sent_at_index\` on \`outbox\` (\`sent_at\`);`);
  }

}
