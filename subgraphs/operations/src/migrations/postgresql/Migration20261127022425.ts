import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022425 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "block_document" ("id" uuid not null, "workspace_id" uuid not null, "block_type_id" uuid not null, "block_schema_id" uuid not null, "name" varchar(100) not null, "values" jsonb not null, "secret_values" text null, "secret_paths" jsonb not null, "created_by_type" varchar(20) not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "block_document_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "block_document_workspace_id_index" on "block_document" ("workspace_id");`,
    );
    this.addSql(
      `create index "block_document_block_type_id_index" on "block_document" ("block_type_id");`,
    );
    this.addSql(
      `alter table "block_document" add constraint "block_document_workspace_id_block_type_id_name_unique" unique ("workspace_id", "block_type_id", "name");`,
    );

    this.addSql(
      `create table "block_schema" ("id" uuid not null, "workspace_id" uuid not null, "block_type_id" uuid not null, "version" varchar(50) not null, "fields" jsonb not null, "capabilities" jsonb not null, "secret_paths" jsonb not null, "created_at" timestamptz not null, constraint "block_schema_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "block_schema_workspace_id_index" on "block_schema" ("workspace_id");`,
    );
    this.addSql(
      `create index "block_schema_block_type_id_index" on "block_schema" ("block_type_id");`,
    );
    this.addSql(
      `alter table "block_schema" add constraint "block_schema_block_type_id_version_unique" unique ("block_type_id", "version");`,
    );

    this.addSql(
      `create table "block_type" ("id" uuid not null, "workspace_id" uuid not null, "slug" varchar(100) not null, "name" varchar(200) not null, "description" text null, "logo_url" varchar(2048) null, "documentation_url" varchar(2048) null, "created_at" timestamptz not null, constraint "block_type_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "block_type_workspace_id_index" on "block_type" ("workspace_id");`);
    this.addSql(
      `alter table "block_type" add constraint "block_type_workspace_id_slug_unique" unique ("workspace_id", "slug");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "block_document" cascade;`);

    this.addSql(`drop table if exists "block_schema" cascade;`);

    this.addSql(`drop table if exists "block_type" cascade;`);
  }
}
