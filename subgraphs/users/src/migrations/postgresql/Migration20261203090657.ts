import { Migration } from '@mikro-orm/migrations';

export class Migration20261203090657 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "user_membership" ("user_id" uuid not null, "account_id" uuid not null, constraint "user_membership_pkey" primary key ("user_id", "account_id"));`);
    this.addSql(`create index "user_membership_account_id_index" on "user_membership" ("account_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "user_membership" cascade;`);
  }

}
