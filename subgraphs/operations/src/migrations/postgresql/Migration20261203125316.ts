import { Migration } from '@mikro-orm/migrations';

export class Migration20261203125316 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "deployment" add column "entrypoint" varchar(1000) null, add column "path" varchar(1000) null, add column "pull_steps" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "deployment" drop column "entrypoint", drop column "path", drop column "pull_steps";`);
  }

}
