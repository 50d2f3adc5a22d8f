import { Migration } from '@mikro-orm/migrations';

export class Migration20261203210444 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "log_settings" ("workspace_id" uuid not null, "retention_days" int not null default 30, "updated_at" timestamptz not null, constraint "log_settings_pkey" primary key ("workspace_id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "log_settings" cascade;`);
  }

}
