/**
 * Hot queries read timestamptz columns as PostgreSQL's text and turn them into the API's ISO
 * form with string operations: parsing every value into a Date only to print it again was a
 * measurable share of a page of issues. The result is exactly Date#toISOString's.
 */
import pg from 'pg';

const TIMESTAMPTZ = 1184;

/** Per-query `types`: timestamptz stays text; every other type parses as usual. */
export const rawTimestamps: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

const UTC_TEXT = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (value: string) => Date;

/** `2026-12-01 23:00:00.123456+00` → `2026-12-01T23:00:00.123Z` (milliseconds truncated, as a Date keeps them). */
export function isoTimestamp(text: string): string {
  const match = UTC_TEXT.exec(text);
  // A session in another time zone (or a year outside 0000-9999) takes the general path.
  if (!match) return parseTimestamptz(text).toISOString();
  return `${match[1]}T${match[2]}.${(match[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
}
