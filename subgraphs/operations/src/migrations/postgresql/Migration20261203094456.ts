import { Migration } from '@mikro-orm/migrations';

export class Migration20261203094456 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "block_type" add column "code_example" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "block_type" drop column "code_example";`);
  }

}
