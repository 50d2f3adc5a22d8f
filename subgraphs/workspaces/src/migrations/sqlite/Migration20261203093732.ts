import { Migration } from '@mikro-orm/migrations';

export class Migration20261203093732 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table \`invitation\` add column \`delivery\` text not null default 'MANUAL';`);
    this.addSql(`alter table \`invitation\` add column \`emailed_at\` datetime null;`);
    this.addSql(`alter table \`invitation\` add column \`mail_attempts\` integer not null default 0;`);
    this.addSql(`alter table \`invitation\` add column \`mail_due_at\` datetime null;`);
    this.addSql(`alter table \`invitation\` add column \`mail_error\` text null;`);
    this.addSql(`create index \`invitation_mail_due_at_index\` on \`invitation\` (\`mail_due_at\`);`);
  }

}
