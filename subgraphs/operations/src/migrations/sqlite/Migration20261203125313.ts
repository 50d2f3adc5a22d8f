import { Migration } from '@mikro-orm/migrations';

export class Migration20261203125313 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`deployment\` add column \`entrypoint\` text null;`);
    this.addSql(`alter table \`deployment\` add column \`path\` text null;`);
    this.addSql(`alter table \`deployment\` add column \`pull_steps\` json null;`);
  }

}
