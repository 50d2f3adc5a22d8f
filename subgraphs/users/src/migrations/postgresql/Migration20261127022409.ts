import { Migration } from '@mikro-orm/migrations';

export class Migration20261127022409 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox" add column "actor" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "outbox" drop column "actor";`);
  }
}
