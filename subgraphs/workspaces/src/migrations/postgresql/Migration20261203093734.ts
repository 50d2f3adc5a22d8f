import { Migration } from '@mikro-orm/migrations';

export class Migration20261203093734 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "invitation" add column "delivery" varchar(16) not null default 'MANUAL', add column "emailed_at" timestamptz null, add column "mail_attempts" int not null default 0, add column "mail_due_at" timestamptz null, add column "mail_error" varchar(300) null;`);
    this.addSql(`create index "invitation_mail_due_at_index" on "invitation" ("mail_due_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "invitation_mail_due_at_index";`);
    this.addSql(`alter table "invitation" drop column "delivery", drop column "emailed_at", drop column "mail_attempts", drop column "mail_due_at", drop column "mail_error";`);
  }

}
