import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022424 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`block_document\` (\`id\` text not null, \`workspace_id\` text not null, \`block_type_id\` text not null, \`block_schema_id\` text not null, \`name\` text not null, \`values\` json not null, \`secret_values\` text null, \`secret_paths\` json not null, \`created_by_type\` text not null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`block_document_workspace_id_index\` on \`block_document\` (\`workspace_id\`);`,
    );
    this.addSql(
      `create index \`block_document_block_type_id_index\` on \`block_document\` (\`block_type_id\`);`,
    );
    this.addSql(
      `create unique index \`block_document_workspace_id_block_type_id_name_unique\` on \`block_document\` (\`workspace_id\`, \`block_type_id\`, \`name\`);`,
    );

    this.addSql(
      `create table \`block_schema\` (\`id\` text not null, \`workspace_id\` text not null, \`block_type_id\` text not null, \`version\` text not null, \`fields\` json not null, \`capabilities\` json not null, \`secret_paths\` json not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`block_schema_workspace_id_index\` on \`block_schema\` (\`workspace_id\`);`,
    );
    this.addSql(
      `create index \`block_schema_block_type_id_index\` on \`block_schema\` (\`block_type_id\`);`,
    );
    this.addSql(
      `create unique index \`block_schema_block_type_id_version_unique\` on \`block_schema\` (\`block_type_id\`, \`version\`);`,
    );

    this.addSql(
      `create table \`block_type\` (\`id\` text not null, \`workspace_id\` text not null, \`slug\` text not null, \`name\` text not null, \`description\` text null, \`logo_url\` text null, \`documentation_url\` text null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(
      `create index \`block_type_workspace_id_index\` on \`block_type\` (\`workspace_id\`);`,
    );
    this.addSql(
      `create unique index \`block_type_workspace_id_slug_unique\` on \`block_type\` (\`workspace_id\`, \`slug\`);`,
    );
  }
}
