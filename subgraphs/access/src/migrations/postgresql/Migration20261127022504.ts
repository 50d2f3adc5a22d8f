import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022504 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "account_role_binding" ("id" uuid not null, "account_id" uuid not null, "principal_type" varchar(16) not null, "principal_id" uuid not null, "role_id" uuid not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "account_role_binding_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "account_role_binding_principal_id_index" on "account_role_binding" ("principal_id");`,
    );
    this.addSql(
      `create index "account_role_binding_role_id_index" on "account_role_binding" ("role_id");`,
    );
    this.addSql(
      `alter table "account_role_binding" add constraint "account_role_binding_account_id_principal_id_unique" unique ("account_id", "principal_id");`,
    );

    this.addSql(
      `create table "custom_role" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "description" varchar(500) not null default '', "level" varchar(16) not null, "permissions" jsonb not null, "inherits_from" varchar(16) null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "custom_role_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "custom_role_account_id_index" on "custom_role" ("account_id");`);
    this.addSql(
      `alter table "custom_role" add constraint "custom_role_account_id_name_unique" unique ("account_id", "name");`,
    );

    this.addSql(
      `create table "team" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "description" varchar(500) not null default '', "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "team_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "team_account_id_index" on "team" ("account_id");`);
    this.addSql(
      `alter table "team" add constraint "team_account_id_name_unique" unique ("account_id", "name");`,
    );

    this.addSql(
      `create table "team_member" ("id" uuid not null, "team_id" uuid not null, "account_id" uuid not null, "principal_type" varchar(16) not null, "principal_id" uuid not null, "created_at" timestamptz not null, constraint "team_member_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "team_member_account_id_index" on "team_member" ("account_id");`);
    this.addSql(`create index "team_member_principal_id_index" on "team_member" ("principal_id");`);
    this.addSql(
      `alter table "team_member" add constraint "team_member_team_id_principal_id_unique" unique ("team_id", "principal_id");`,
    );

    this.addSql(
      `alter table "workspace_role_binding" drop constraint if exists "workspace_role_binding_principal_type_check";`,
    );

    this.addSql(`alter table "workspace_role_binding" add column "role_id" uuid null;`);
    this.addSql(
      `alter table "workspace_role_binding" alter column "principal_type" type varchar(16) using ("principal_type"::varchar(16));`,
    );
    this.addSql(
      `alter table "workspace_role_binding" alter column "role" type varchar(16) using ("role"::varchar(16));`,
    );
    this.addSql(`alter table "workspace_role_binding" alter column "role" drop not null;`);
    this.addSql(
      `create index "workspace_role_binding_role_id_index" on "workspace_role_binding" ("role_id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "account_role_binding" cascade;`);

    this.addSql(`drop table if exists "custom_role" cascade;`);

    this.addSql(`drop table if exists "team" cascade;`);

    this.addSql(`drop table if exists "team_member" cascade;`);

    this.addSql(`drop index "workspace_role_binding_role_id_index";`);
    this.addSql(`alter table "workspace_role_binding" drop column "role_id";`);

    this.addSql(
      `alter table "workspace_role_binding" alter column "principal_type" type text using ("principal_type"::text);`,
    );
    this.addSql(
      `alter table "workspace_role_binding" alter column "role" type varchar(16) using ("role"::varchar(16));`,
    );
    this.addSql(`alter table "workspace_role_binding" alter column "role" set not null;`);
    this.addSql(
      `alter table "workspace_role_binding" add constraint "workspace_role_binding_principal_type_check" check("principal_type" in ('USER', 'SERVICE_ACCOUNT'));`,
    );
  }
}
