import { Migration } from '@mikro-orm/migrations';

export class Migration20261203091325 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`sso_bypass\` (\`account_id\` text not null, \`user_id\` text not null, primary key (\`account_id\`, \`user_id\`));`);

    this.addSql(`create table \`sso_enforced_domain\` (\`domain\` text not null, \`account_id\` text not null, primary key (\`domain\`));`);
    this.addSql(`create index \`sso_enforced_domain_account_id_index\` on \`sso_enforced_domain\` (\`account_id\`);`);

    this.addSql(`create table \`sso_login_code\` (\`id\` text not null, \`code_hash\` text not null, \`user_id\` text not null, \`account_id\` text not null, \`identity_provider_id\` text not null, \`expires_at\` datetime not null, \`consumed_at\` datetime null, primary key (\`id\`));`);
    this.addSql(`create unique index \`sso_login_code_code_hash_unique\` on \`sso_login_code\` (\`code_hash\`);`);
    this.addSql(`create index \`sso_login_code_expires_at_index\` on \`sso_login_code\` (\`expires_at\`);`);

    this.addSql(`alter table \`session\` add column \`method\` text not null default 'PASSWORD';`);
    this.addSql(`alter table \`session\` add column \`sso_account_id\` text null;`);
    this.addSql(`create index \`session_sso_account_id_index\` on \`session\` (\`sso_account_id\`);`);
  }

}
