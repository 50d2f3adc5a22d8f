import { Migration } from '@mikro-orm/migrations';

export class Migration20261205052401 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`flow_run_settings\` (\`workspace_id\` text not null, \`retention_days\` integer not null default 30, \`updated_at\` datetime not null, primary key (\`workspace_id\`));`);

    this.addSql(`create index \`flow_run_workspace_id_end_time_index\` on \`flow_run\` (\`workspace_id\`, \`end_time\`);`);
  }

}
