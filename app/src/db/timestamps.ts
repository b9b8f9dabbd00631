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

const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (value: string) => Date;

/**
 * `2026-12-01 23:00:00.123456+00` → `2026-12-01T23:00:00.123Z` (milliseconds truncated, as a Date
 * keeps them). PostgreSQL prints a UTC timestamptz at fixed positions, so checking the
 * separators is enough (and cheaper than a regular expression on every value of a page).
 */
export function isoTimestamp(text: string): string {
  const length = text.length;
  const utc =
    length >= 22 &&
    length <= 29 &&
    length !== 23 &&
    text.charCodeAt(4) === 45 && // '-'
    text.charCodeAt(10) === 32 && // ' '
    text.charCodeAt(13) === 58 && // ':'
    text.endsWith('+00') &&
    (length === 22 || text.charCodeAt(19) === 46); // '.'
  // A session in another time zone (or a year outside 0000-9999, or BC) takes the general path.
  if (!utc) return parseTimestamptz(text).toISOString();
  const fraction = length === 22 ? '000' : `${text.slice(20, length - 3)}00`.slice(0, 3);
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction}Z`;
}
