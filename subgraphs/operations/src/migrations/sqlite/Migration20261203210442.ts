import { Migration } from '@mikro-orm/migrations';

export class Migration20261203210442 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`log_settings\` (\`workspace_id\` text not null, \`retention_days\` integer not null default 30, \`updated_at\` datetime not null, primary key (\`workspace_id\`));`);
  }

}
