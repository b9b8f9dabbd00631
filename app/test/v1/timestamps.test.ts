/**
 * Issue timestamps are read as text and printed without a Date: the result must be exactly
 * what Date#toISOString gives for the same value, in UTC sessions and in others.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../../test/support/servers.ts';
import { isoTimestamp, rawTimestamps } from '../../src/db/timestamps.ts';

let server: TestPostgres;
let db: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  db = new pg.Client({ connectionString: server.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await server?.destroy();
});

const VALUES = ['2026-12-01 23:00:00+00', '2026-12-01 23:00:00.1+00', '2026-12-01 23:00:00.123456+00', '2026-12-01 23:00:00.999999+00', '1999-02-28 00:00:00.5+00', '2026-06-30 21:59:59.000999+02'];

describe('isoTimestamp', () => {
  for (const zone of ['UTC', 'Europe/Paris', 'America/St_Johns']) {
    it(`matches Date#toISOString for values read in a ${zone} session`, async () => {
      await db.query(`SET TIME ZONE '${zone}'`);
      for (const value of VALUES) {
        const sql = `SELECT '${value}'::timestamptz AS t`;
        const asDate = (await db.query<{ t: Date }>(sql)).rows[0]!.t;
        const asText = (await db.query<{ t: string }>({ text: sql, types: rawTimestamps })).rows[0]!.t;
        expect(typeof asText).toBe('string');
        expect(isoTimestamp(asText), `${value} read as ${asText}`).toBe(asDate.toISOString());
      }
    });
  }
});

describe('isoTimestamp on text PostgreSQL does not print in UTC', () => {
  it('takes the general path for offsets, BC years and years past 9999', () => {
    for (const text of ['2026-12-01 23:00:00+01', '2026-12-01 23:00:00.5-03:30', '0044-03-15 12:00:00+00 BC', '12026-12-01 23:00:00+00']) {
      expect(isoTimestamp(text), text).toBe((pg.types.getTypeParser(1184, 'text') as (v: string) => Date)(text).toISOString());
    }
  });
});
