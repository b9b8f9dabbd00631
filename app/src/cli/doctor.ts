/** `doctor`: can this machine use Slipway? Each check says what is wrong and how to fix it. */
import { NetworkError, normaliseBaseUrl, SlipwayClient, type ClientOptions } from './client.ts';

export interface Check {
  readonly id: 'api-url' | 'reachable' | 'ready' | 'version' | 'token';
  readonly ok: boolean;
  /** Not run because an earlier check failed. */
  readonly skipped?: boolean;
  readonly message: string;
  readonly fix?: string;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly apiUrl: string | null;
  readonly checks: Check[];
}

export interface DoctorOptions {
  readonly apiUrl: string | undefined;
  readonly token: string | undefined;
  readonly timeoutMs?: number;
  readonly fetch?: ClientOptions['fetch'];
}

const skipped = (id: Check['id'], because: string): Check => ({ id, ok: false, skipped: true, message: `skipped: ${because}` });

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: Check[] = [];
  let baseUrl: string;
  try {
    baseUrl = normaliseBaseUrl(options.apiUrl);
    checks.push({ id: 'api-url', ok: true, message: `SLIPWAY_API_URL is ${baseUrl}` });
  } catch (error) {
    checks.push({ id: 'api-url', ok: false, message: (error as Error).message, fix: 'export SLIPWAY_API_URL=http://localhost:7015 (the address you open in the browser)' });
    for (const id of ['reachable', 'ready', 'version', 'token'] as const) checks.push(skipped(id, 'no API URL'));
    return { ok: false, apiUrl: null, checks };
  }
  const client = new SlipwayClient({ baseUrl, token: options.token, timeoutMs: options.timeoutMs ?? 5000, fetch: options.fetch });

  // Reachable: any HTTP answer from /api/health means the address is right.
  try {
    const health = await client.raw('GET', '/api/health', undefined, false);
    if (health.status === 200) checks.push({ id: 'reachable', ok: true, message: `${baseUrl}/api/health answered 200` });
    else
      checks.push({
        id: 'reachable',
        ok: false,
        message: `${baseUrl}/api/health answered HTTP ${health.status}`,
        fix: 'Check that SLIPWAY_API_URL points at Slipway itself (the web address or the API), not another service.',
      });
  } catch (error) {
    const reason = error instanceof NetworkError ? error.reason : (error as Error).message;
    checks.push({
      id: 'reachable',
      ok: false,
      message: `Cannot reach ${baseUrl}: ${reason}`,
      fix: 'Start the app (npm start) or correct SLIPWAY_API_URL; check VPN, firewall and TLS settings.',
    });
    for (const id of ['ready', 'version', 'token'] as const) checks.push(skipped(id, 'server unreachable'));
    return { ok: false, apiUrl: baseUrl, checks };
  }

  checks.push(await readiness(client));
  checks.push(await version(client));
  checks.push(await token(client, options.token));
  return { ok: checks.every((c) => c.ok), apiUrl: baseUrl, checks };
}

async function readiness(client: SlipwayClient): Promise<Check> {
  try {
    const { status, body } = await client.raw('GET', '/api/readyz', undefined, false);
    const report = body as { status?: string; checks?: Record<string, { ok: boolean; reason?: string }> } | undefined;
    const failing = Object.entries(report?.checks ?? {}).filter(([, c]) => !c.ok);
    if (status === 200) {
      const names = Object.keys(report?.checks ?? {});
      return { id: 'ready', ok: true, message: `ready${names.length ? ` (${names.join(', ')} ok)` : ''}` };
    }
    const detail = failing.map(([name, c]) => `${name}: ${c.reason ?? 'failing'}`).join('; ');
    return {
      id: 'ready',
      ok: false,
      message: `not ready (HTTP ${status})${detail ? `: ${detail}` : ''}`,
      fix: failing.some(([name]) => name === 'migrations')
        ? 'Run the migrations: npm start runs them, or `migrate up` with the same DATABASE_URL.'
        : 'Check the API logs and the database/Redis settings (DATABASE_URL, REDIS_URL); readiness recovers by itself once they answer.',
    };
  } catch (error) {
    return { id: 'ready', ok: false, message: `readiness check failed: ${(error as Error).message}`, fix: 'Retry; if it persists, check the API logs.' };
  }
}

async function version(client: SlipwayClient): Promise<Check> {
  try {
    const { status, body } = await client.raw('GET', '/api/version', undefined, false);
    const v = body as { release?: string; commit?: string; migration?: { latest?: string | number | null; applied?: string | number | null } };
    if (status !== 200 || !v?.release) {
      return { id: 'version', ok: false, message: `/api/version answered HTTP ${status}`, fix: 'Upgrade the server, or check that SLIPWAY_API_URL points at Slipway.' };
    }
    const migration = v.migration;
    const text = `release ${v.release}, commit ${v.commit ?? 'unknown'}${migration ? `, migration ${migration.applied ?? 'none'} of ${migration.latest ?? 'none'}` : ''}`;
    if (migration && migration.latest != null && String(migration.applied) !== String(migration.latest)) {
      return { id: 'version', ok: false, message: `${text}: the database is behind the code`, fix: 'Run the migrations (`migrate up`) before using this release.' };
    }
    return { id: 'version', ok: true, message: text };
  } catch (error) {
    return { id: 'version', ok: false, message: `version check failed: ${(error as Error).message}`, fix: 'Retry; if it persists, check the API logs.' };
  }
}

async function token(client: SlipwayClient, value: string | undefined): Promise<Check> {
  const create = 'Create a token in the web UI (Settings → Personal access tokens) and export SLIPWAY_TOKEN=pat_…';
  if (!value?.trim()) return { id: 'token', ok: false, message: 'SLIPWAY_TOKEN is not set', fix: create };
  if (!value.trim().startsWith('pat_')) {
    return { id: 'token', ok: false, message: 'SLIPWAY_TOKEN does not look like a personal access token (it should start with pat_)', fix: create };
  }
  try {
    const { status, body } = await client.raw('GET', '/api/v1/me');
    if (status === 200) {
      const me = body as { user?: { email?: string }; workspaces?: unknown[] };
      const count = me.workspaces?.length ?? 0;
      return { id: 'token', ok: true, message: `token works: signed in as ${me.user?.email ?? 'unknown'} (${count} workspace${count === 1 ? '' : 's'})` };
    }
    const message = (body as { error?: { message?: string } })?.error?.message;
    if (status === 401) return { id: 'token', ok: false, message: `token rejected: ${message ?? 'unauthenticated'}`, fix: `The token is wrong, revoked or from another server. ${create}` };
    return { id: 'token', ok: false, message: `GET /api/v1/me answered HTTP ${status}${message ? `: ${message}` : ''}`, fix: 'Check the API logs.' };
  } catch (error) {
    return { id: 'token', ok: false, message: `token check failed: ${(error as Error).message}`, fix: 'Retry; if it persists, check the API logs.' };
  }
}

export function formatDoctor(report: DoctorReport): string {
  const lines: string[] = [];
  for (const check of report.checks) {
    const mark = check.ok ? '✓' : check.skipped ? '-' : '✗';
    lines.push(`${mark} ${check.id.padEnd(9)} ${check.message}`);
    if (!check.ok && check.fix) lines.push(`  fix: ${check.fix}`);
  }
  const failed = report.checks.filter((c) => !c.ok && !c.skipped).length;
  lines.push('', report.ok ? 'All checks passed.' : `${failed} check${failed === 1 ? '' : 's'} failed.`);
  return `${lines.join('\n')}\n`;
}
