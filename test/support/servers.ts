/**
 * Real PostgreSQL and Redis servers for tests, started from the system binaries on free
 * loopback ports with throwaway data. Nothing here is mocked: a test that needs a database
 * gets a real one, or fails saying which package to install.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const INSTALL_HINT =
  'Install the test servers first: apt-get install -y postgresql redis-server (see README, "Tests").';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A PostgreSQL client or server program (psql, pg_dumpall, ...) of the installed version. */
export function postgresProgram(name: string): string {
  return join(postgresBinDir(), name);
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')));
    versions.sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), '..');
  throw new Error(`PostgreSQL server binaries (initdb, pg_ctl) were not found. ${INSTALL_HINT}`);
}

/** initdb refuses to run as root, so as root the server runs as the `postgres` system user. */
function asServerUser(command: string, args: string[]): { command: string; args: string[] } {
  if (userInfo().uid !== 0) return { command, args };
  return { command: 'runuser', args: ['-u', 'postgres', '--', command, ...args] };
}

function run(command: string, args: string[]): void {
  const wrapped = asServerUser(command, args);
  execFileSync(wrapped.command, wrapped.args, { stdio: 'pipe' });
}

export interface TestPostgres {
  readonly port: number;
  /** URL of the default `postgres` database as the superuser `slipway`. */
  readonly url: string;
  /** The server's Unix socket directory: a local connection there needs no password. */
  readonly socketDir: string;
  /** The data directory (copy it while the server is stopped to start others like it). */
  readonly dataDir: string;
  /** The server's log (what `log_statement` and friends write). */
  readonly logFile: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (fast shutdown) but keeps its data, so `start()` brings it back. */
  stop(): Promise<void>;
  /** Stops the server the way a crash or a failover does: no goodbye to any connection, no commit lost. */
  crash(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data. */
  destroy(): Promise<void>;
}

let databaseCounter = 0;

export interface PostgresOptions {
  /** Serve TLS with this certificate chain and key (PEM); clients may still connect without. */
  readonly tls?: { readonly certificate: string; readonly key: string };
  /**
   * Require a password (SCRAM) on TCP connections, like RDS: the superuser `slipway` gets this
   * one, and roles created later need their own. @default trust (no passwords)
   */
  readonly superuserPassword?: string;
  /**
   * Start from a copy of this data directory (of a stopped server) instead of running initdb,
   * which is several times slower; its roles, passwords and authentication settings come along.
   */
  readonly copyOf?: string;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const owner = userInfo().uid === 0 ? { uid: uidOf('postgres'), gid: gidOf('postgres') } : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const auth = ['--auth=trust', '-A', 'trust'];
  if (options.superuserPassword !== undefined) {
    const pwfile = join(dir, 'superuser-password');
    writeFileSync(pwfile, `${options.superuserPassword}\n`, { mode: 0o600 });
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    auth.splice(0, auth.length, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  }
  if (options.copyOf) run('cp', ['-a', options.copyOf, dataDir]);
  else run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'slipway', '-E', 'UTF8', '--no-sync', ...auth]);
  let tlsOptions = '';
  if (options.tls) {
    // The server refuses a key file that others may read.
    for (const [file, content] of [['server.crt', options.tls.certificate], ['server.key', options.tls.key]] as const) {
      writeFileSync(join(dir, file), content, { mode: 0o600 });
      if (owner) chownSync(join(dir, file), owner.uid, owner.gid);
    }
    tlsOptions = ` -c ssl=on -c ssl_cert_file=${join(dir, 'server.crt')} -c ssl_key_file=${join(dir, 'server.key')}`;
  }
  const serverOptions = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200${tlsOptions}`;
  const pgCtl = join(bin, 'pg_ctl');
  const start = async () => {
    run(pgCtl, ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '30', 'start']);
  };
  const stop = async () => {
    run(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
  };
  await start();
  const login = options.superuserPassword === undefined ? 'slipway' : `slipway:${encodeURIComponent(options.superuserPassword)}`;
  const url = `postgres://${login}@127.0.0.1:${port}/postgres`;
  const crash = async () => {
    // This server runs with synchronous_commit off for speed, so a crash would also lose the
    // last commits; production's databases commit synchronously, so flush them first.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CHECKPOINT');
    } finally {
      await client.end();
    }
    run(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop']);
  };
  return {
    port,
    url,
    socketDir: dir,
    dataDir,
    logFile,
    async createDatabase(prefix = 't') {
      const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${databaseCounter++}`.toLowerCase();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${login}@127.0.0.1:${port}/${name}`;
    },
    stop,
    crash,
    start,
    async destroy() {
      try {
        await stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}
function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as in a hung node. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (which.status !== 0) throw new Error(`redis-server was not found. ${INSTALL_HINT}`);
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (options.password) args.push('--requirepass', options.password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGCONT'); // a stopped process would not act on SIGTERM
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

export interface BlackHole {
  readonly url: string;
  /** Connections taken so far. */
  connections(): number;
  close(): Promise<void>;
}

/** An HTTP endpoint that takes connections and never answers: a service that has stopped responding. */
export async function blackHole(): Promise<BlackHole> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => sockets.length,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
