import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025236 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_key" ("id" uuid not null, "name" varchar(100) not null, "owner_type" varchar(20) not null, "user_id" uuid null, "service_account_id" uuid null, "account_id" uuid null, "hash" varchar(64) not null, "prefix" varchar(8) not null, "last4" varchar(4) not null, "created_at" timestamptz not null, "expires_at" timestamptz null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`);
    this.addSql(`create index "api_key_user_id_index" on "api_key" ("user_id");`);
    this.addSql(`create index "api_key_service_account_id_index" on "api_key" ("service_account_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_hash_unique" unique ("hash");`);

    this.addSql(`create table "handled_event" ("consumer" varchar(80) not null, "event_id" uuid not null, "handled_at" timestamptz not null, constraint "handled_event_pkey" primary key ("consumer", "event_id"));`);

    this.addSql(`create table "outbox" ("seq" serial primary key, "id" uuid not null, "type" varchar(120) not null, "payload" jsonb not null, "occurred_at" timestamptz not null, "actor" jsonb null, "sent_at" timestamptz null);`);
    this.addSql(`alter table "outbox" add constraint "outbox_id_unique" unique ("id");`);
    this.addSql(`create index "outbox_sent_at_index" on "outbox" ("sent_at");`);

    this.addSql(`create table "service_account" ("id" uuid not null, "account_id" uuid not null, "name" varchar(100) not null, "description" varchar(500) null, "created_by_id" uuid not null, "created_at" timestamptz not null, "deleted_at" timestamptz null, constraint "service_account_pkey" primary key ("id"));`);
    this.addSql(`create index "service_account_account_id_index" on "service_account" ("account_id");`);

    this.addSql(`create table "session" ("id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "user_agent" varchar(300) null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "session_pkey" primary key ("id"));`);
    this.addSql(`create index "session_user_id_index" on "session" ("user_id");`);
    this.addSql(`alter table "session" add constraint "session_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "user" ("id" uuid not null, "handle" varchar(40) not null, "name" varchar(100) not null, "email" varchar(254) not null, "image_url" varchar(2048) null, "timezone" varchar(64) not null default 'UTC', "color_mode" varchar(10) not null default 'SYSTEM', "password_hash" varchar(255) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "user_pkey" primary key ("id"));`);
    this.addSql(`alter table "user" add constraint "user_handle_unique" unique ("handle");`);
    this.addSql(`alter table "user" add constraint "user_email_unique" unique ("email");`);




  }

  override async down(): Promise<void> {



    this.addSql(`drop table if exists "api_key" cascade;`);

    this.addSql(`drop table if exists "handled_event" cascade;`);

    this.addSql(`drop table if exists "outbox" cascade;`);

    this.addSql(`drop table if exists "service_account" cascade;`);

    this.addSql(`drop table if exists "session" cascade;`);

    this.addSql(`drop table if exists "user" cascade;`);

  }

}
