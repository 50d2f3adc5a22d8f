import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022408 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`outbox\` add column \`actor\` json null;`);
  }
}
