import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from '../lib/roles';

/**
 * Flow retention: `clarion_expire_flows(before)` removes every flow whose UTC day (by end_time) is before `before`.
 * With day partitions it detaches and drops each whole day's partition (no row-by-row delete, no bloat) and deletes the
 * matching rows of the default partition; on a TimescaleDB hypertable it drops the chunks. It is SECURITY DEFINER,
 * because the application role owns no table and may drop none: the retention service calls it as the application
 * role, and the function itself refuses to expire today or later, so at most it removes what a retention policy of
 * zero days would. It takes the partition creator's lock (`clarion_ensure_flow_partition`), so a partition is never
 * created and dropped at the same time.
 */
export class FlowRetention1764700000000 implements MigrationInterface {
  name = 'FlowRetention1764700000000';

  async up(q: QueryRunner): Promise<void> {
    const storage = ((await q.query(`SELECT clarion_flow_storage() AS storage`)) as Array<{ storage: string }>)[0]?.storage;
    const guard = `
          IF p_before IS NULL THEN RAISE EXCEPTION 'a day is required'; END IF;
          IF p_before > (now() AT TIME ZONE 'UTC')::date THEN
            RAISE EXCEPTION 'flows of today or later are never expired (asked to expire before %)', p_before;
          END IF;
          PERFORM pg_advisory_xact_lock(hashtext('clarion_ensure_flow_partition'));`;
    if (storage === 'hypertable') {
      await q.query(`
        CREATE FUNCTION clarion_expire_flows(p_before date, OUT partitions text[], OUT default_rows bigint)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN${guard}
          partitions := ARRAY(SELECT drop_chunks('flows', older_than => p_before::timestamp AT TIME ZONE 'UTC')::text);
          default_rows := 0;
        END $$`);
    } else {
      await q.query(`
        CREATE FUNCTION clarion_expire_flows(p_before date, OUT partitions text[], OUT default_rows bigint)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE
          v_name text;
        BEGIN${guard}
          partitions := '{}';
          -- Day partitions are named flows_pYYYYMMDD and hold [day, day + 1): all of it is before p_before when day is.
          FOR v_name IN
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'flows'::regclass AND c.relname ~ '^flows_p[0-9]{8}$'
              AND to_date(substr(c.relname, 8), 'YYYYMMDD') < p_before
            ORDER BY c.relname
          LOOP
            EXECUTE format('ALTER TABLE flows DETACH PARTITION %I', v_name);
            EXECUTE format('DROP TABLE %I', v_name);
            partitions := partitions || v_name;
          END LOOP;
          DELETE FROM flows_default WHERE end_time < p_before::timestamp AT TIME ZONE 'UTC';
          GET DIAGNOSTICS default_rows = ROW_COUNT;
        END $$`);
    }
    await q.query(`REVOKE ALL ON FUNCTION clarion_expire_flows(date) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION clarion_expire_flows(date) TO ${APP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION IF EXISTS clarion_expire_flows(date)');
  }
}
