import { Migration } from '@mikro-orm/migrations';

export class Migration20261127054638 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`event_settings\` (\`workspace_id\` text not null, \`retention_days\` integer not null default 30, \`updated_at\` datetime not null, primary key (\`workspace_id\`));`);

    this.addSql(`alter table \`deployment\` add column \`status\` text not null default 'NOT_READY';`);

    this.addSql(`create index \`event_occurred_index\` on \`event\` (\`occurred\`);`);

    this.addSql(`alter table \`flow_run\` add column \`last_state_event_id\` text null;`);

    this.addSql(`alter table \`task_run\` add column \`last_state_event_id\` text null;`);

    this.addSql(`alter table \`work_pool\` add column \`status\` text not null default 'NOT_READY';`);

    this.addSql(`alter table \`work_queue\` add column \`status\` text not null default 'NOT_READY';`);
  }

}
