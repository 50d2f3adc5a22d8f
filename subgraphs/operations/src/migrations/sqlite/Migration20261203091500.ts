import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091500 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index \`event_id_unique\`;`);

    this.addSql(`create index \`event_id_index\` on \`event\` (\`id\`);`);
    this.addSql(`create unique index \`event_workspace_id_id_unique\` on \`event\` (\`workspace_id\`, \`id\`);`);

    // Written by hand: MikroORM's SQLite diff does not see primary-key changes. The related rows
    // are keyed by workspace too (event ids are unique per workspace): the table is rebuilt.
    this.addSql(`create table \`event_related__new\` (\`workspace_id\` text not null, \`event_id\` text not null, \`resource_id\` text not null, \`role\` text not null, primary key (\`workspace_id\`, \`event_id\`, \`resource_id\`, \`role\`));`);
    this.addSql(`insert into \`event_related__new\` (\`workspace_id\`, \`event_id\`, \`resource_id\`, \`role\`) select \`workspace_id\`, \`event_id\`, \`resource_id\`, \`role\` from \`event_related\`;`);
    this.addSql(`drop table \`event_related\`;`);
    this.addSql(`alter table \`event_related__new\` rename to \`event_related\`;`);
    this.addSql(`create index \`event_related_workspace_id_resource_id_index\` on \`event_related\` (\`workspace_id\`, \`resource_id\`);`);
  }

}
