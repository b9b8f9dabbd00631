/**
 * A failed database connection explained in terms of the settings behind it: which setting to
 * check and how to fix it. A certificate that fails verification (DB_SSL=verify-full) will not
 * pass on a retry, so it is final; an unreachable server may still be starting, so it is not.
 */
import type { DatabaseConfig } from './database.ts';

export type DatabaseFailureKind = 'tls' | 'unreachable' | 'other';

export interface DatabaseFailure {
  readonly kind: DatabaseFailureKind;
  /** One sentence: what failed, and for TLS failures the setting to change. */
  readonly message: string;
  /** The cause in a few words, e.g. "connection refused". */
  readonly reason: string;
  readonly retryable: boolean;
}

/** Node's codes for a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CHAIN = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/** The target as the operator wrote it: host:port/database and the setting that names it. */
export function describeTarget(database: DatabaseConfig): string {
  return `${database.target} (${database.source === 'DATABASE_URL' ? 'DATABASE_URL' : 'DB_HOST, DB_PORT'})`;
}

export function explainDatabaseError(error: unknown, database?: DatabaseConfig): DatabaseFailure {
  const err = error as { code?: string; message?: string };
  const raw = err.message ?? String(error);
  const code = err.code ?? '';
  const at = database ? ` at ${describeTarget(database)}` : '';
  const caFile = database?.ssl.caFile;
  const tls = (message: string): DatabaseFailure => ({ kind: 'tls', message, reason: raw, retryable: false });

  if (UNTRUSTED_CHAIN.has(code)) {
    return tls(
      caFile
        ? `the database${at} presented a TLS certificate that no CA in DB_SSL_CA_FILE=${caFile} signed (${raw}); set DB_SSL_CA_FILE to the CA bundle that issued the server's certificate (for RDS, the global bundle)`
        : `the database${at} presented a TLS certificate that no CA this system trusts signed (${raw}); set DB_SSL_CA_FILE to the CA bundle that issued it (for RDS, the global bundle)`,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const host = database?.host ?? 'the host';
    const setting = database?.source === 'DB_HOST' ? 'DB_HOST' : 'the host in DATABASE_URL';
    return tls(
      `the database's TLS certificate is not valid for ${host}, the name DB_SSL=verify-full checks (${raw}); set ${setting} to a name the certificate lists (for RDS, the instance endpoint, not an IP address or an alias)`,
    );
  }
  if (EXPIRED.has(code)) {
    return tls(`the database${at} presented a TLS certificate outside its validity period (${raw}); renew the server's certificate (for RDS, rotate the instance's certificate authority)`);
  }
  if (/does not support SSL/i.test(raw)) {
    return tls(`the database${at} does not accept TLS, which DB_SSL=${database?.ssl.mode ?? 'verify-full'} requires; enable TLS on the server, or set DB_SSL=disable on a network you trust`);
  }
  const unreachable = UNREACHABLE[code] ?? (/timeout/i.test(raw) ? 'timed out' : undefined);
  if (unreachable) {
    return { kind: 'unreachable', message: `could not reach the database${at}: ${unreachable}`, reason: unreachable, retryable: true };
  }
  return { kind: 'other', message: `could not connect to the database${at}: ${raw}`, reason: raw, retryable: true };
}
