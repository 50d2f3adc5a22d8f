import { Migration } from '@mikro-orm/migrations';

export class Migration20261203093030 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`webhook_delivery\` add column \`target\` text null;`);
  }

}
