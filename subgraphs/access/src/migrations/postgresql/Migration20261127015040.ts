import { Migration } from '@mikro-orm/migrations';

export class Migration20261127015040 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "handled_event" ("consumer" varchar(80) not null, "event_id" uuid not null, "handled_at" timestamptz not null, constraint "handled_event_pkey" primary key ("consumer", "event_id"));`,
    );

    this.addSql(
      `create table "outbox" ("seq" serial primary key, "id" uuid not null, "type" varchar(120) not null, "payload" jsonb not null, "occurred_at" timestamptz not null, "sent_at" timestamptz null);`,
    );
    this.addSql(`alter table "outbox" add constraint "outbox_id_unique" unique ("id");`);
    this.addSql(`create index "outbox_sent_at_index" on "outbox" ("sent_at");`);

    this.addSql(
      `create table "workspace_role_binding" ("id" uuid not null, "account_id" uuid not null, "workspace_id" uuid not null, "principal_type" text check ("principal_type" in ('USER', 'SERVICE_ACCOUNT')) not null, "principal_id" uuid not null, "role" varchar(16) not null, "created_by_id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "workspace_role_binding_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "workspace_role_binding_account_id_index" on "workspace_role_binding" ("account_id");`,
    );
    this.addSql(
      `create index "workspace_role_binding_principal_id_index" on "workspace_role_binding" ("principal_id");`,
    );
    this.addSql(
      `alter table "workspace_role_binding" add constraint "workspace_role_binding_workspace_id_principal_id_unique" unique ("workspace_id", "principal_id");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "handled_event" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop table if exists "workspace_role_binding" cascade;`);
  }
}
