import { Migration } from '@mikro-orm/migrations';

export class Migration20261127050827 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`incident\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`summary\` text null, \`severity\` text not null, \`status\` text not null default 'ACTIVE', \`start_time\` datetime not null, \`end_time\` datetime null, \`tags\` json not null, \`declared_by_type\` text not null, \`declared_by_id\` text not null, \`last_event_id\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`incident_workspace_id_index\` on \`incident\` (\`workspace_id\`);`);
    this.addSql(`create index \`incident_workspace_id_status_index\` on \`incident\` (\`workspace_id\`, \`status\`);`);

    this.addSql(`create table \`incident_resource\` (\`incident_id\` text not null, \`kind\` text not null, \`resource_id\` text not null, \`workspace_id\` text not null, \`position\` integer not null, primary key (\`incident_id\`, \`kind\`, \`resource_id\`));`);
    this.addSql(`create index \`incident_resource_workspace_id_resource_id_index\` on \`incident_resource\` (\`workspace_id\`, \`resource_id\`);`);
  }

}
