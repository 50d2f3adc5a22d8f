import { Migration } from '@mikro-orm/migrations';

export class Migration20261127060415 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`activity_pause\` (\`owner_key\` text not null, \`object_kind\` text not null, \`object_id\` text not null, \`workspace_id\` text not null, \`automation_id\` text not null, \`incident_id\` text not null, \`created_at\` datetime not null, primary key (\`owner_key\`, \`object_kind\`, \`object_id\`));`);
    this.addSql(`create index \`activity_pause_workspace_id_index\` on \`activity_pause\` (\`workspace_id\`);`);
    this.addSql(`create index \`activity_pause_object_kind_object_id_index\` on \`activity_pause\` (\`object_kind\`, \`object_id\`);`);
  }

}
