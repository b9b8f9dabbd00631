/**
 * A SCRAM-SHA-256 verifier, the form PostgreSQL stores passwords in. `CREATE ROLE … PASSWORD`
 * and `ALTER ROLE … PASSWORD` take one as is, so the clear-text password never reaches the
 * server, its statement log or `log_min_duration_statement` output (what psql's \password
 * does). https://www.postgresql.org/docs/current/sql-alterrole.html (Notes) and
 * https://www.postgresql.org/docs/current/catalog-pg-authid.html (rolpassword format).
 * RFC 5802 §3 (SaltedPassword, ClientKey, StoredKey, ServerKey) with SHA-256 (RFC 7677).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default `scram_iterations`. */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` for `password`. PostgreSQL applies
 * SASLprep first, which leaves printable ASCII unchanged, so only such passwords are accepted
 * (DB_APP_PASSWORD is checked for it; a Secrets Manager password is generated that way).
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = SCRAM_ITERATIONS): string {
  if (!/^[\x21-\x7e]+$/.test(password)) throw new Error('the password must be printable ASCII without spaces to be stored as a SCRAM verifier');
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
