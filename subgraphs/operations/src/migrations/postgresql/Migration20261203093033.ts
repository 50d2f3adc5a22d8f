import { Migration } from '@mikro-orm/migrations';

export class Migration20261203093033 extends Migration {

  override async up(): Promise<void> {





















































    this.addSql(`alter table "webhook_delivery" add column "target" text null;`);

  }

  override async down(): Promise<void> {

































    this.addSql(`CREATE INDEX log_workspace_id_flow_run_id_timestamp_seq_index ON t_93ab2e2c_operations.log USING btree (workspace_id, flow_run_id, "timestamp", seq);`);
    this.addSql(`CREATE INDEX log_workspace_id_timestamp_seq_index ON t_93ab2e2c_operations.log USING btree (workspace_id, "timestamp", seq);`);






    this.addSql(`CREATE INDEX run_state_run_id_timestamp_index ON t_93ab2e2c_operations.run_state USING btree (run_id, "timestamp");`);














    this.addSql(`alter table "webhook_delivery" drop column "target";`);
  }

}
