import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091501 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "event" drop constraint "event_id_unique";`);

    this.addSql(`create index "event_id_index" on "event" ("id");`);
    this.addSql(`alter table "event" add constraint "event_workspace_id_id_unique" unique ("workspace_id", "id");`);

    this.addSql(`alter table "event_related" drop constraint "event_related_pkey";`);

    this.addSql(`alter table "event_related" add constraint "event_related_pkey" primary key ("workspace_id", "event_id", "resource_id", "role");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "event_id_index";`);
    this.addSql(`alter table "event" drop constraint "event_workspace_id_id_unique";`);

    this.addSql(`alter table "event" add constraint "event_id_unique" unique ("id");`);

    this.addSql(`alter table "event_related" drop constraint "event_related_pkey";`);

    this.addSql(`alter table "event_related" add constraint "event_related_pkey" primary key ("event_id", "resource_id", "role");`);
  }

}
