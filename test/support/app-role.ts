/**
 * The api's own login for tests, as production has it: `migrate up` signed in as the owner
 * creates it (DB_APP_USER, DB_APP_PASSWORD) and the api then connects as it, so every API test
 * also proves its routes need nothing beyond reading and writing rows.
 */
import { randomBytes } from 'node:crypto';
import { migrate } from './app.ts';

export const APP_ROLE = 'slipway_app';
/** One per test process; roles belong to the server, and each test file starts its own. */
export const APP_ROLE_PASSWORD = randomBytes(24).toString('base64url');

/** `url` with another login. */
export function urlAs(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** The settings that make `migrate` keep the api login. */
export function appRoleEnv(user = APP_ROLE, password = APP_ROLE_PASSWORD): Record<string, string> {
  return { DB_APP_USER: user, DB_APP_PASSWORD: password };
}

/** Runs `migrate up` as the owner of `ownerUrl` with the api login on; returns the api's URL. */
export async function migrateWithAppRole(ownerUrl: string, env: Record<string, string | undefined> = {}): Promise<string> {
  await migrate(ownerUrl, { ...appRoleEnv(), ...env });
  return urlAs(ownerUrl, APP_ROLE, APP_ROLE_PASSWORD);
}
