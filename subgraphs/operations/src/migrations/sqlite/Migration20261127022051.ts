import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022051 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`variable\` (\`id\` text not null, \`workspace_id\` text not null, \`name\` text not null, \`value\` json not null, \`tags\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create index \`variable_workspace_id_index\` on \`variable\` (\`workspace_id\`);`);
    this.addSql(
      `create unique index \`variable_workspace_id_name_unique\` on \`variable\` (\`workspace_id\`, \`name\`);`,
    );
  }
}
