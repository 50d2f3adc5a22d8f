import { Migration } from '@mikro-orm/migrations';

export class Migration20261203180445 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "automation" add column "owner_resource" varchar(500) null;`);
    this.addSql(`create index "automation_workspace_id_owner_resource_index" on "automation" ("workspace_id", "owner_resource");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "automation_workspace_id_owner_resource_index";`);
    this.addSql(`alter table "automation" drop column "owner_resource";`);
  }

}
