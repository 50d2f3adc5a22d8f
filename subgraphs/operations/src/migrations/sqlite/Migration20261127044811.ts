import { Migration } from '@mikro-orm/migrations';

export class Migration20261127044811 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`event\` (\`seq\` integer not null primary key autoincrement, \`id\` text not null, \`workspace_id\` text not null, \`occurred\` datetime not null, \`received\` datetime not null, \`name\` text not null, \`resource_id\` text not null, \`resource\` json not null, \`related\` json not null, \`payload\` json not null, \`follows\` text null);`);
    this.addSql(`create unique index \`event_id_unique\` on \`event\` (\`id\`);`);
    this.addSql(`create index \`event_workspace_id_name_index\` on \`event\` (\`workspace_id\`, \`name\`);`);
    this.addSql(`create index \`event_workspace_id_resource_id_index\` on \`event\` (\`workspace_id\`, \`resource_id\`);`);
    this.addSql(`create index \`event_workspace_id_occurred_index\` on \`event\` (\`workspace_id\`, \`occurred\`);`);

    this.addSql(`create table \`event_related\` (\`event_id\` text not null, \`resource_id\` text not null, \`role\` text not null, \`workspace_id\` text not null, primary key (\`event_id\`, \`resource_id\`, \`role\`));`);
    this.addSql(`create index \`event_related_workspace_id_resource_id_index\` on \`event_related\` (\`workspace_id\`, \`resource_id\`);`);
  }

}
