import { Migration } from '@mikro-orm/migrations';

export class Migration20261203090040 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`account_team\` (\`id\` text not null, \`account_id\` text not null, primary key (\`id\`));`);
    this.addSql(`create index \`account_team_account_id_index\` on \`account_team\` (\`account_id\`);`);

    this.addSql(`alter table \`automation\` add column \`authority\` json null;`);
  }

}
