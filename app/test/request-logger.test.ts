/**
 * The per-request logger makes its pino child only when the request logs, and then writes
 * exactly what a child made up front would: the request id bound to every line, the parent's
 * level (or the route's own), redaction applied.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { RequestLogger } from '../src/api/request-logger.ts';

function capture(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger({ level, name: 'api', destination: stream }), lines };
}

describe('RequestLogger', () => {
  it('writes lines with the request id bound, as a pino child does', () => {
    const { log, lines } = capture();
    const request = new RequestLogger(log, { reqId: 'r-1' }, {});
    request.warn({ code: 'x' }, 'request failed');
    request.info('plain message');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'warn', service: 'api', reqId: 'r-1', code: 'x', msg: 'request failed' });
    expect(lines[1]).toMatchObject({ level: 'info', reqId: 'r-1', msg: 'plain message' });
  });

  it('makes no child while nothing is logged, nor for lines below the level', () => {
    const { log, lines } = capture('warn');
    let children = 0;
    const counting = new Proxy(log, { get: (target, key) => (key === 'child' ? (...args: Parameters<typeof log.child>) => (children++, target.child(...args)) : Reflect.get(target, key)) });
    const request = new RequestLogger(counting, { reqId: 'r-2' }, {});
    expect(request.level).toBe('warn');
    request.info('dropped');
    request.debug('dropped too');
    expect(children).toBe(0);
    request.error('kept');
    request.error('kept again');
    expect(children).toBe(1);
    expect(lines.map((line) => line.msg)).toEqual(['kept', 'kept again']);
  });

  it('follows a level the route gives its requests', () => {
    const { log, lines } = capture('info');
    const request = new RequestLogger(log, { reqId: 'r-3' }, { level: 'error' });
    expect(request.level).toBe('error');
    expect(request.isLevelEnabled('warn')).toBe(false);
    request.warn('below the route level');
    request.error('at the route level');
    expect(lines.map((line) => line.msg)).toEqual(['at the route level']);
  });

  it('redacts credentials like every other line', () => {
    const { log, lines } = capture();
    new RequestLogger(log, { reqId: 'r-4' }, {}).error({ headers: { authorization: 'Bearer pat_secret' } }, 'with headers');
    expect(JSON.stringify(lines)).not.toContain('pat_secret');
    expect(lines[0]).toMatchObject({ headers: { authorization: '[redacted]' } });
  });
});
