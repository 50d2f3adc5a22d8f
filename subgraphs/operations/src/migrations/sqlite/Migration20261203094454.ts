import { Migration } from '@mikro-orm/migrations';

export class Migration20261203094454 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`block_type\` add column \`code_example\` text null;`);
  }

}
