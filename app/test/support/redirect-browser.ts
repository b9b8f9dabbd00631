/**
 * What a browser does during an OAuth sign-in, without a browser: follows redirects one hop
 * at a time, keeps cookies per host (a host-only jar is enough for these flows), and submits
 * forms. `hosts` maps the app's public origin (APP_URL) to the API under test, as the web
 * server's /api proxy would, so the provider can redirect to the real callback URL.
 */
export interface Visit {
  /** The URL as the browser sees it (public origin). */
  readonly url: URL;
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

export class RedirectBrowser {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Every URL the browser was sent to, in order. */
  readonly trail: URL[] = [];

  constructor(private readonly hosts: Record<string, string> = {}) {}

  cookies(host: string): Map<string, string> {
    let cookies = this.jar.get(host);
    if (!cookies) this.jar.set(host, (cookies = new Map()));
    return cookies;
  }

  /** Loads `url` and follows redirects until a page answers, or `stop` says to stop before a hop. */
  async open(url: string | URL, options: { method?: string; form?: URLSearchParams; stop?: (next: URL) => boolean } = {}): Promise<Visit> {
    let current = new URL(url);
    let method = options.method ?? 'GET';
    let body: URLSearchParams | undefined = options.form;
    for (let hop = 0; hop < 20; hop++) {
      this.trail.push(current);
      const response = await this.fetch(current, method, body);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        const next = new URL(location, current);
        if (options.stop?.(next)) return { url: next, status: response.status, body: '', headers: response.headers };
        current = next;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { url: current, status: response.status, body: await response.text(), headers: response.headers };
    }
    throw new Error(`too many redirects from ${String(url)}`);
  }

  private async fetch(url: URL, method: string, form?: URLSearchParams): Promise<Response> {
    const mapped = this.hosts[url.origin];
    const target = mapped ? new URL(`${url.pathname}${url.search}`, mapped) : url;
    const cookies = [...this.cookies(url.host)].map(([name, value]) => `${name}=${value}`).join('; ');
    const headers: Record<string, string> = { 'user-agent': 'redirect-browser' };
    if (cookies) headers.cookie = cookies;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, { method, headers, body: form?.toString(), redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies(url.host).delete(name);
      else this.cookies(url.host).set(name, value);
    }
    return response;
  }
}

/** The consent page's form target (`/interaction/<uid>`), read from the page. */
export function consentAction(visit: Visit): URL {
  const action = /<form method="post" action="([^"]+)"/.exec(visit.body)?.[1];
  if (!action) throw new Error(`not a consent page (${visit.status} at ${visit.url.href}):\n${visit.body.slice(0, 500)}`);
  return new URL(action.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))), visit.url);
}
