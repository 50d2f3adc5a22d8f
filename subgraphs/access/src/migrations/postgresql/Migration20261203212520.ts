import { Migration } from '@mikro-orm/migrations';

export class Migration20261203212520 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "handled_event_handled_at_index" on "handled_event" ("handled_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "handled_event_handled_at_index";`);
  }

}
