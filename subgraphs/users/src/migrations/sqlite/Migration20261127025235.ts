import { Migration } from '@mikro-orm/migrations';

export class Migration20261127025235 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`api_key\` (\`id\` text not null, \`name\` text not null, \`owner_type\` text not null, \`user_id\` text null, \`service_account_id\` text null, \`account_id\` text null, \`hash\` text not null, \`prefix\` text not null, \`last4\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`api_key_user_id_index\` on \`api_key\` (\`user_id\`);`);
    this.addSql(`create index \`api_key_service_account_id_index\` on \`api_key\` (\`service_account_id\`);`);
    this.addSql(`create unique index \`api_key_hash_unique\` on \`api_key\` (\`hash\`);`);

    this.addSql(`create table \`handled_event\` (\`consumer\` text not null, \`event_id\` text not null, \`handled_at\` datetime not null, primary key (\`consumer\`, \`event_id\`));`);

    this.addSql(`create table \`outbox\` (\`seq\` integer not null primary key autoincrement, \`id\` text not null, \`type\` text not null, \`payload\` json not null, \`occurred_at\` datetime not null, \`actor\` json null, \`sent_at\` datetime null);`);
    this.addSql(`create unique index \`outbox_id_unique\` on \`outbox\` (\`id\`);`);
    this.addSql(`create index \`outbox_sent_at_index\` on \`outbox\` (\`sent_at\`);`);

    this.addSql(`create table \`service_account\` (\`id\` text not null, \`account_id\` text not null, \`name\` text not null, \`description\` text null, \`created_by_id\` text not null, \`created_at\` datetime not null, \`deleted_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`service_account_account_id_index\` on \`service_account\` (\`account_id\`);`);

    this.addSql(`create table \`session\` (\`id\` text not null, \`user_id\` text not null, \`token_hash\` text not null, \`user_agent\` text null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create index \`session_user_id_index\` on \`session\` (\`user_id\`);`);
    this.addSql(`create unique index \`session_token_hash_unique\` on \`session\` (\`token_hash\`);`);

    this.addSql(`create table \`user\` (\`id\` text not null, \`handle\` text not null, \`name\` text not null, \`email\` text not null, \`image_url\` text null, \`timezone\` text not null default 'UTC', \`color_mode\` text not null default 'SYSTEM', \`password_hash\` text not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create unique index \`user_handle_unique\` on \`user\` (\`handle\`);`);
    this.addSql(`create unique index \`user_email_unique\` on \`user\` (\`email\`);`);
  }

}
