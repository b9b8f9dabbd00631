import { spawn } from 'node:child_process';
import pg from 'pg';
import { migrate } from './test/support/app.ts';
import { startPostgres, startRedis, freePort } from './test/support/servers.ts';
import { seedUser, seedWorkspace } from './bench/seed.ts';
import { productionSecrets } from './app/test/support/auth.ts';
import { wrk } from './bench/wrk.ts';
const [server, redis] = await Promise.all([startPostgres(), startRedis()]);
try {
  const url = await server.createDatabase('prof');
  await migrate(url);
  const db = new pg.Pool({ connectionString: url, max: 1 });
  const user = await seedUser(db);
  await seedWorkspace(db, user, 'small', 'SML', 10000);
  await db.end();
  const port = await freePort();
  const api = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', 'dist/slipway.mjs', 'api'], { env: { PATH: process.env.PATH, SLIPWAY_ENV: 'production', HOST: '127.0.0.1', API_PORT: String(port), DATABASE_URL: url, REDIS_URL: redis.url, LOG_LEVEL: 'info', SLIPWAY_SHUTDOWN_HOLD_SECONDS: '0', ...productionSecrets() }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) { if (await fetch(`http://127.0.0.1:${port}/api/readyz`).then(r => r.ok, () => false)) break; await new Promise(r => setTimeout(r, 100)); }
  const path = process.argv[2] === 'health' ? '/api/health' : '/api/v1/workspaces/small/issues?limit=50';
  console.log(await wrk({ url: `http://127.0.0.1:${port}${path}`, seconds: 6, connections: 16, headers: { authorization: `Bearer ${user.token}` } }));
  api.kill('SIGTERM'); await new Promise(r => api.once('exit', r));
} finally { await Promise.all([server.destroy(), redis.stop()]); }
