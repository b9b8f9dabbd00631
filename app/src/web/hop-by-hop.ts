/**
 * Hop-by-hop header fields describe one connection, so a proxy removes them before it forwards
 * a message, in both directions (RFC 9110 §7.6.1,
 * https://www.rfc-editor.org/rfc/rfc9110#section-7.6.1): the Connection field, every field it
 * names, and the fields known to be hop-by-hop. Forwarding the API's `Connection: keep-alive`
 * to a client that asked to close made pooled clients reuse a socket the web server closed.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1's list, and HTTP2-Settings (RFC 9113 §3.2.1 calls it connection-specific). */
const ALWAYS_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'http2-settings']);

type Headers = IncomingHttpHeaders | OutgoingHttpHeaders;

/** The names a Connection field lists (`Connection: close, X-Foo` -> close, x-foo). */
function connectionOptions(value: Headers[string]): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  return new Set(
    joined
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** A copy of `headers` without its hop-by-hop fields; the next hop sets its own. */
export function withoutHopByHop<T extends Headers>(headers: T): T {
  const named = connectionOptions(headers.connection);
  const kept: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!ALWAYS_HOP_BY_HOP.has(lower) && !named.has(lower)) kept[name] = value;
  }
  return kept as T;
}
