/**
 * The node floor of a page of issues: a bare node:http server that runs the very statement the
 * API runs for that page (one query on a pool of 10, as the API's default pool) and answers
 * the page PostgreSQL wrote as JSON (the statement's last row, its `issues` column). No
 * framework, no authentication check, no cursor: what one node process with `pg` can do at all
 * on this machine, so the API's figure can be read against it.
 * `node --import tsx bench/bare-pg.ts PORT` with DATABASE_URL and BARE_PG_STATEMENT
 * (`{"text": …, "values": […]}`) in the environment; prints "listening" when ready.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { rawTimestamps } from '../app/src/db/timestamps.ts';

const { text, values } = JSON.parse(process.env.BARE_PG_STATEMENT ?? '') as { text: string; values: unknown[] };
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const server = createServer((_request, response) => {
  pool.query({ name: 'bare-page', text, values, types: rawTimestamps }).then(
    ({ rows }) => {
      const body = `{"issues":${(rows[rows.length - 1] as { issues: string }).issues},"nextCursor":null}`;
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    },
    (error: Error) => {
      response.writeHead(500).end(error.message);
    },
  );
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
