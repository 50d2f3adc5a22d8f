import { Migration } from '@mikro-orm/migrations';

export class Migration20261203090656 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`user_membership\` (\`user_id\` text not null, \`account_id\` text not null, primary key (\`user_id\`, \`account_id\`));`);
    this.addSql(`create index \`user_membership_account_id_index\` on \`user_membership\` (\`account_id\`);`);
  }

}
