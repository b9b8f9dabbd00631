/**
 * `--restore-time`: an instant, so it must say its offset. JavaScript's Date reads a time
 * without one in the machine's time zone and rolls impossible dates over (February 30 becomes
 * March 2), so neither is accepted: the fields are read by hand and must come back unchanged.
 * (RestoreTime is a UTC instant: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html)
 */
import { stringFlag, UsageError, type Flags } from '../cli.ts';

const FORMAT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;
const EXAMPLE = 'such as 2026-01-31T09:30:00Z or 2026-01-31T10:30:00+01:00';

/** Parses an ISO 8601 time with `Z` or `±hh:mm`; throws a UsageError naming `--flag` otherwise. */
export function parseRestoreTime(raw: string, flag = 'restore-time'): Date {
  const m = FORMAT.exec(raw);
  if (!m) {
    const why = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(raw) ? ' (no Z or offset: it would be read in this machine\'s time zone)' : '';
    throw new UsageError(`--${flag} must be an ISO 8601 time with Z or an offset (±hh:mm), ${EXAMPLE}, got ${JSON.stringify(raw)}${why}`);
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '0').padEnd(3, '0'));
  const zone = m[8]!;
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  const same = local.getUTCFullYear() === year && local.getUTCMonth() === month - 1 && local.getUTCDate() === day && local.getUTCHours() === hour && local.getUTCMinutes() === minute && local.getUTCSeconds() === second;
  const offsetMinutes = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const zoneOk = zone === 'Z' || (Number(zone.slice(1, 3)) <= 14 && Number(zone.slice(4, 6)) < 60);
  if (!same || !zoneOk) {
    throw new UsageError(`--${flag} ${JSON.stringify(raw)} is not a real time (check the day of the month, the hours, minutes and seconds, and the offset), ${EXAMPLE}`);
  }
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

/** The flag's value as a Date, or undefined when it is not given. */
export function restoreTimeFlag(flags: Flags, name = 'restore-time'): Date | undefined {
  const raw = stringFlag(flags, name);
  return raw === undefined ? undefined : parseRestoreTime(raw, name);
}
