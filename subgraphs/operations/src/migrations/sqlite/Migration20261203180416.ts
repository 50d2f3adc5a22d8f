import { Migration } from '@mikro-orm/migrations';

export class Migration20261203180416 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`automation\` add column \`owner_resource\` text null;`);
    this.addSql(`create index \`automation_workspace_id_owner_resource_index\` on \`automation\` (\`workspace_id\`, \`owner_resource\`);`);
  }

}
