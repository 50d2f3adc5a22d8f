import { Migration } from '@mikro-orm/migrations';

export class Migration20261127023822 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "concurrency_lease" ("lease_id" uuid not null, "limit_id" uuid not null, "workspace_id" uuid not null, "slots" int not null, "expires_at" timestamptz not null, "holder_type" varchar(20) not null, "holder_id" uuid not null, "created_at" timestamptz not null, constraint "concurrency_lease_pkey" primary key ("lease_id", "limit_id"));`,
    );
    this.addSql(
      `create index "concurrency_lease_workspace_id_index" on "concurrency_lease" ("workspace_id");`,
    );
    this.addSql(
      `create index "concurrency_lease_expires_at_index" on "concurrency_lease" ("expires_at");`,
    );

    this.addSql(
      `create table "concurrency_limit" ("id" uuid not null, "workspace_id" uuid not null, "kind" varchar(10) not null, "name" varchar(100) not null, "limit" int not null, "active" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "concurrency_limit_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "concurrency_limit_workspace_id_index" on "concurrency_limit" ("workspace_id");`,
    );
    this.addSql(
      `alter table "concurrency_limit" add constraint "concurrency_limit_workspace_id_kind_name_unique" unique ("workspace_id", "kind", "name");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "concurrency_lease" cascade;`);

    this.addSql(`drop table if exists "concurrency_limit" cascade;`);
  }
}
