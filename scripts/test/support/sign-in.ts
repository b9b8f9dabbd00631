/** Signs in to a running app the way an operator does outside production and makes a personal access token. */
import { expect } from 'vitest';

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Magic link shown in the answer, session cookie, then a token (pat_…). */
export async function signInWithToken(baseUrl: string, email = 'operator@example.com'): Promise<{ token: string; cookie: string }> {
  const link = await postJson(`${baseUrl}/api/v1/auth/magic-link`, { email });
  expect(link.status).toBe(202);
  const { link: url } = (await link.json()) as { link: string };
  const verify = await postJson(`${baseUrl}/api/v1/auth/verify`, { token: new URL(url).searchParams.get('token') });
  expect(verify.status).toBe(200);
  const cookie = verify.headers.getSetCookie().find((c) => c.startsWith('slipway_session='))!.split(';')[0]!;
  const created = await postJson(`${baseUrl}/api/v1/tokens`, { name: 'smoke' }, { cookie, origin: baseUrl });
  expect(created.status).toBe(201);
  return { token: ((await created.json()) as { token: string }).token, cookie };
}
