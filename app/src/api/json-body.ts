/**
 * Request bodies are JSON, read strictly: bytes that are not UTF-8 are refused instead of
 * being stored as U+FFFD, a JSON syntax error says where it is, and a `__proto__` key says it
 * is refused on purpose. text/plain is not read at all: a JSON body sent as text/plain (what
 * fetch sends without a Content-Type) gets the 415 that names the content type to use, and a
 * cross-site form cannot post a "simple" text/plain request that the API would read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Why a body fastify's JSON parser refused was refused, worded for the caller. */
function refusal(text: string): HttpError {
  if (text.trim() === '') return new HttpError(400, 'invalid_json', 'The body is empty but Content-Type says JSON; send a JSON object or drop the header');
  try {
    JSON.parse(text);
  } catch (error) {
    return new HttpError(400, 'invalid_json', `The body is not valid JSON: ${(error as Error).message}`);
  }
  // Valid JSON that the parser still refused: it has a prototype-poisoning key.
  return new HttpError(400, 'invalid_json', 'The body has a "__proto__" or "constructor": {"prototype": …} key, which is refused; rename that field');
}

export function registerJsonBody(app: FastifyInstance): void {
  // secure-json-parse, as fastify uses it, with poisoning keys refused rather than stripped.
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    let text: string;
    try {
      text = STRICT_UTF8.decode(body);
    } catch {
      return done(new HttpError(400, 'invalid_json', 'The body is not valid UTF-8; send the JSON encoded as UTF-8'), undefined);
    }
    parse(request, text, (error, value) => (error ? done(refusal(text), undefined) : done(null, value)));
  });
}
