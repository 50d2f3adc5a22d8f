import { Migration } from '@mikro-orm/migrations';

export class Migration20261203090053 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "service_account_grants" ("service_account_id" uuid not null, "memberships" jsonb not null, "memberships_at" timestamptz not null, "access" jsonb not null, "access_at" timestamptz not null, constraint "service_account_grants_pkey" primary key ("service_account_id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "service_account_grants" cascade;`);
  }

}
