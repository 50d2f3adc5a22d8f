import { Migration } from '@mikro-orm/migrations';

export class Migration20261203090053 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`service_account_grants\` (\`service_account_id\` text not null, \`memberships\` json not null, \`memberships_at\` datetime not null, \`access\` json not null, \`access_at\` datetime not null, primary key (\`service_account_id\`));`);
  }

}
