import { Migration } from '@mikro-orm/migrations';

export class Migration20261203090040 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "account_team" ("id" uuid not null, "account_id" uuid not null, constraint "account_team_pkey" primary key ("id"));`);
    this.addSql(`create index "account_team_account_id_index" on "account_team" ("account_id");`);

    this.addSql(`alter table "automation" add column "authority" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "account_team" cascade;`);

    this.addSql(`alter table "automation" drop column "authority";`);
  }

}
