/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against the real
 * app: `api` and `web` processes on real PostgreSQL and Redis, the UI built by Vite.
 *
 * One browser for the file; each person gets their own context (own cookies). Screenshots of
 * the main screens go to test-results/screenshots/ (git-ignored) so they can be looked at.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startApp, type RunningApp } from '../../../test/support/app.ts';
import { freePort, startPostgres, startRedis, type TestPostgres, type TestRedis } from '../../../test/support/servers.ts';
import { CLIENTS, startOAuthServer, type TestOAuthServer } from '../support/oauth-server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'screenshots');
/** Live updates must reach another member within a second; allow for a loaded CI machine. */
const LIVE_TIMEOUT_MS = 3000;

let postgres: TestPostgres | undefined;
let redis: TestRedis | undefined;
let app: RunningApp | undefined;
/** The same database and Redis, without S3: what a server without attachments shows. */
let bare: RunningApp | undefined;
let oauth: TestOAuthServer | undefined;
let browser: Browser | undefined;
let uiDir: string | undefined;
let s3: { close(): Promise<void> } | undefined;
let s3Dir: string | undefined;
/** Set to drive an already running Slipway instead of starting one (local development). */
const EXTERNAL_URL = process.env.SLIPWAY_UI_TEST_URL;
let webUrl = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium was not found at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const old of readdirSync(SCREENSHOTS)) if (old.startsWith('failure-')) rmSync(join(SCREENSHOTS, old));
  // launch() gives the browser a fresh temporary profile of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  if (EXTERNAL_URL) {
    webUrl = EXTERNAL_URL;
    return;
  }
  // Build into a private folder so a parallel `npm run build` cannot swap files mid-test.
  uiDir = mkdtempSync(join(tmpdir(), 'slipway-ui-'));
  const vite = await import('vite');
  await vite.build({ configFile: join(REPO_ROOT, 'app/ui/vite.config.ts'), logLevel: 'warn', build: { outDir: uiDir, emptyOutDir: true } });

  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  const s3Url = await startS3();
  // The provider needs the app's callback URL and the app the provider's address: the
  // provider's port is taken first, it starts once the app's address is known.
  const oauthPort = await freePort();
  const issuer = `http://127.0.0.1:${oauthPort}`;
  const databaseUrl = await postgres.createDatabase('ui');
  app = await startApp({
    databaseUrl,
    redisUrl: redis.url,
    env: {
      SLIPWAY_STATIC_DIR: uiDir,
      SLIPWAY_RELEASE: 'ui-test',
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: s3Url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      ...oauthEnv(issuer),
    },
  });
  webUrl = app.webUrl;
  oauth = await startOAuthServer({
    port: oauthPort,
    redirectUris: [`${webUrl}/api/v1/auth/oauth/github/callback`],
    accounts: [{ login: 'grace', name: 'Grace Hopper', email: 'grace@example.com', emailVerified: true }],
  });
  bare = await startApp({ databaseUrl, redisUrl: redis.url, migrate: false, env: { SLIPWAY_STATIC_DIR: uiDir, SLIPWAY_RELEASE: 'ui-test' } });
});

/** GitHub sign-in through the test provider (its client secret is fixed per run). */
function oauthEnv(issuer: string): Record<string, string> {
  return { GITHUB_CLIENT_ID: CLIENTS.github.id, GITHUB_CLIENT_SECRET: CLIENTS.github.secret, GITHUB_URL: issuer, GITHUB_API_URL: `${issuer}/api` };
}

afterAll(async () => {
  await browser?.close();
  await Promise.all([app?.stop(), bare?.stop(), oauth?.stop()]);
  await Promise.all([redis?.stop(), postgres?.destroy()]);
  await s3?.close();
  for (const dir of [uiDir, s3Dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const BUCKET = 'slipway-attachments';
/** The browser uploads and downloads straight from the bucket, so it must allow the page's origin. */
const BUCKET_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** An S3-compatible server (s3rver, from npm) on a free loopback port; returns its URL. */
async function startS3(): Promise<string> {
  // s3rver ships no type declarations; this is the slice of its API used here.
  type S3rverCtor = new (options: Record<string, unknown>) => { run(): Promise<{ address: string; port: number }>; close(): Promise<void> };
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;
  s3Dir = mkdtempSync(join(tmpdir(), 'slipway-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: BUCKET, configs: [BUCKET_CORS] }] });
  const { port } = await server.run();
  s3 = server;
  return `http://127.0.0.1:${port}`;
}

async function newPerson(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 860 }, baseURL: webUrl });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, errors };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  // Toasts from earlier steps would cover the screen being recorded.
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled', style: '.toasts { display: none }' });
}

/** Signs in through the UI: the development link appears on screen (no email provider). */
async function signIn(page: Page, email: string, screenshots = false): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  if (screenshots) await shot(page, '01-sign-in');
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  const link = page.getByRole('link', { name: 'Open sign-in link' });
  await link.waitFor();
  if (screenshots) await shot(page, '02-sign-in-link');
  expect(await link.getAttribute('href')).toContain('/auth/verify?token=');
  await link.click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name });
const live = (page: Page) => page.locator('[data-testid="live-indicator"][data-state="live"]');

describe('web UI', () => {
  it('signs in, creates a workspace and an issue, shows it live to a teammate, takes comments and files', async () => {
    const ada = await newPerson();
    const grace = await newPerson();
    try {
      await story(ada, grace);
    } catch (error) {
      // Leave the screens as they were for whoever reads the failure.
      await shot(ada.page, 'failure-ada').catch(() => {});
      await shot(grace.page, 'failure-grace').catch(() => {});
      throw error;
    } finally {
      await Promise.all([ada.context.close(), grace.context.close()]);
    }
  });
});

type Person = Awaited<ReturnType<typeof newPerson>>;

async function story(ada: Person, grace: Person): Promise<void> {
  const { page } = ada;
  {

    // Ada signs in and creates a workspace; the footer shows the release.
    await signIn(page, 'ada@example.com', true);
    await page.getByRole('heading', { name: 'Workspaces' }).waitFor();
    if (!EXTERNAL_URL) await expect.poll(() => page.getByTestId('release').textContent()).toContain('release ui-test');
    await shot(page, '03-workspaces-empty');
    await page.getByLabel('Name').fill('Engineering');
    expect(await page.getByLabel('URL slug').inputValue()).toBe('engineering');
    expect(await page.getByLabel('Issue key').inputValue()).toBe('ENG');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.getByRole('heading', { name: 'Issues', exact: true }).waitFor();
    await page.getByText('No issues yet').waitFor();
    await live(page).waitFor();
    await shot(page, '04-issues-empty');

    // She invites Grace from settings. No email provider here: the page hands her the link.
    await nav(page, 'Settings').click();
    await page.getByLabel('Email', { exact: true }).fill('grace@example.com');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('button', { name: 'Cancel invitation for grace@example.com' }).waitFor();
    const invitationLink = await page.getByLabel('Invitation link').inputValue();
    expect(invitationLink).toBe(`${webUrl}/signin?email=grace%40example.com`);

    // A used or bogus link explains itself instead of failing silently.
    await grace.page.goto('/auth/verify?token=not-a-real-token');
    await grace.page.getByRole('heading', { name: 'That link did not work' }).waitFor();
    await grace.page.getByRole('link', { name: 'Back to sign in' }).waitFor();

    // Grace opens the invitation: her address is filled in, and GitHub is offered too.
    await grace.page.goto(invitationLink);
    expect(await grace.page.getByLabel('Email').inputValue()).toBe('grace@example.com');
    await shot(grace.page, '10-sign-in-providers');
    // She first denies access at GitHub: back on the sign-in page, told calmly, not signed in.
    await grace.page.getByRole('link', { name: 'Continue with GitHub' }).click();
    await grace.page.getByRole('heading', { name: 'Test provider' }).waitFor();
    await grace.page.getByLabel('Login').fill('grace');
    await grace.page.getByRole('button', { name: 'Deny' }).click();
    await grace.page.getByTestId('oauth-notice').getByText('You did not allow access at GitHub').waitFor();
    expect(await grace.page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await shot(grace.page, '12-sign-in-denied');
    // Then she allows it, and lands in the workspace she was invited to.
    await grace.page.getByRole('link', { name: 'Continue with GitHub' }).click();
    await grace.page.getByLabel('Login').fill('grace');
    await grace.page.getByRole('button', { name: 'Allow' }).click();
    await grace.page.getByRole('heading', { name: 'Issues', exact: true }).waitFor();
    expect(new URL(grace.page.url()).pathname).toBe('/w/engineering');
    expect(await grace.page.locator('.user-chip').getAttribute('title')).toBe('grace@example.com');
    await live(grace.page).waitFor();

    // Ada files an issue; it appears in Grace's open list without a reload.
    await nav(page, 'Issues').click();
    await page.getByRole('link', { name: 'New issue' }).click();
    await page.getByLabel('Title').fill('Login button does nothing on Safari');
    await page.getByLabel('Description').fill('Steps:\n1. Open the sign-in page\n2. Click the button\n\nNothing happens.');
    await page.getByLabel('Priority').selectOption('high');
    await shot(page, '05-new-issue');
    await page.getByRole('button', { name: 'Create issue' }).click();
    await page.getByRole('heading', { name: 'ENG-1 Login button does nothing on Safari' }).waitFor();
    const created = Date.now();
    await grace.page.getByRole('link', { name: /ENG-1.*Login button does nothing on Safari/ }).waitFor({ timeout: LIVE_TIMEOUT_MS });
    const liveMs = Date.now() - created;
    expect(liveMs).toBeLessThan(LIVE_TIMEOUT_MS);
    await shot(grace.page, '06-issues-live');

    // Grace opens it and comments; Ada, on the issue page, sees the comment arrive live.
    await grace.page.getByRole('link', { name: /ENG-1/ }).click();
    await grace.page.getByLabel('Add a comment').fill('Reproduced on 17.2 as well.');
    await grace.page.getByRole('button', { name: 'Comment', exact: true }).click();
    await grace.page.getByText('Reproduced on 17.2 as well.').waitFor();
    await page.getByText('Reproduced on 17.2 as well.').waitFor({ timeout: LIVE_TIMEOUT_MS });
    // Her account took its name from GitHub.
    await page.locator('li.comment', { hasText: 'Reproduced on 17.2' }).getByText('Grace Hopper').waitFor();

    // Ada answers, edits her own comment, and cannot edit Grace's.
    await page.getByLabel('Add a comment').fill('Thanks, looking into it.');
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    await page.getByText('Thanks, looking into it.').waitFor();
    const mine = page.locator('li.comment', { hasText: 'Thanks, looking into it.' });
    await mine.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Edit comment').fill('Thanks, looking into it today.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Thanks, looking into it today.').waitFor();
    const theirs = page.locator('li.comment', { hasText: 'Reproduced on 17.2' });
    expect(await theirs.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    // A file goes straight to the bucket with the presigned PUT, is listed, and downloads intact.
    const bytes = Buffer.from('TypeError: undefined is not a function\n    at signIn (login.js:42)\n');
    await page.locator('#attachment-file').setInputFiles({ name: 'trace.txt', mimeType: 'text/plain', buffer: bytes });
    const download = page.getByRole('button', { name: 'Download trace.txt' });
    await download.waitFor();
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(file.suggestedFilename()).toBe('trace.txt');
    expect(readFileSync(await file.path())).toEqual(bytes);

    await page.getByLabel('Status', { exact: true }).selectOption('in_progress');
    await page.locator('.detail-sub').getByText('In progress').waitFor();
    await shot(page, '07-issue-detail');
    // The uploader can delete the file again.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete trace.txt' }).click();
    await page.getByText('No files attached.').waitFor();

    // The status change reaches Grace's page too.
    await grace.page.locator('.detail-sub').getByText('In progress').waitFor({ timeout: LIVE_TIMEOUT_MS });

    // A server without S3 says so before anyone picks a file, and names no server setting.
    if (bare) {
      await page.goto(`${bare.webUrl}/w/engineering/issues/ENG-1`);
      await page.getByTestId('attachments-off').getByText('Attachments are not configured on this server.').waitFor();
      expect(await page.getByRole('button', { name: 'Attach file' }).count()).toBe(0);
      expect(await page.locator('body').textContent()).not.toMatch(/S3_|AWS_/);
      await shot(page, '11-attachments-off');
      await page.goto('/w/engineering/issues/ENG-1');
      await page.getByRole('button', { name: 'Attach file' }).waitFor();
    }

    // The edit form changes the title.
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Title').fill('Login button does nothing on Safari 17');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'ENG-1 Login button does nothing on Safari 17' }).waitFor();

    // Filters: a title search and "assigned to me".
    await nav(page, 'Issues').click();
    await page.getByLabel('Search titles').fill('safari');
    await page.getByRole('link', { name: /ENG-1/ }).waitFor();
    await page.getByLabel('Search titles').fill('no such words');
    await page.getByText('No issues match these filters').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Assignee').selectOption('me');
    await page.getByText('No issues match these filters').waitFor();
    await page.getByLabel('Assignee').selectOption('');
    await page.getByRole('link', { name: /ENG-1/ }).waitFor();

    // Keyset pages: the list shows 50, and "Load more" brings the rest in order.
    await page.evaluate(async () => {
      for (let batch = 0; batch < 5; batch++) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            fetch('/api/v1/workspaces/engineering/issues', {
              method: 'POST',
              credentials: 'same-origin',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ title: `Backlog item ${batch * 10 + i + 1}` }),
            }),
          ),
        );
      }
    });
    await page.reload();
    const rows = page.locator('.issue-list > li');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(51);
    expect(await rows.last().textContent()).toContain('ENG-1');
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    // An error from the API is shown in its own words: Grace tries to take a used slug.
    await grace.page.goto('/workspaces');
    await grace.page.getByLabel('Name').fill('Engineering');
    await grace.page.getByRole('button', { name: 'Create workspace' }).click();
    await grace.page.getByText('The slug "engineering" is already taken; choose another').first().waitFor();
    await shot(grace.page, '09-workspaces-error');

    // A personal access token is shown once and listed; the server's validation message shows.
    await nav(page, 'Settings').click();
    await page.getByLabel('Workspace name').fill('Engineering Team');
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.locator('#workspace-switcher option:checked', { hasText: 'Engineering Team' }).waitFor({ state: 'attached' });
    await page.getByLabel('Token name').fill('Laptop CLI');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = await page.getByLabel('New token').inputValue();
    expect(token).toMatch(/^pat_/);
    await page.getByRole('cell', { name: 'Laptop CLI', exact: true }).waitFor();
    await shot(page, '08-settings');

    // Roles change in place; revoking a token (after confirming) removes it from the list.
    await page.getByLabel('Role of Grace Hopper').selectOption('admin');
    await page.getByText('Role changed to admin').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke Laptop CLI' }).click();
    await page.getByText('No tokens yet.').waitFor();

    // Signing out returns to the sign-in screen.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    expect([...ada.errors, ...grace.errors]).toEqual([]);
  }
}
