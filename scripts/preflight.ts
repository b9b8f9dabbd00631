/** npm run preflight: check everything a deploy needs before it starts (see --help). */
import { promises as dns } from 'node:dns';
import { loadConfig } from '../infra/config.ts';
import { makeClients } from './lib/aws.ts';
import { processIo, runCommand } from './lib/cli.ts';
import { preflight, PREFLIGHT_SPEC } from './lib/preflight.ts';
import { zxRunner } from './lib/runner.ts';
import { realClock } from './lib/wait.ts';

process.exitCode = await runCommand(PREFLIGHT_SPEC, processIo(), async (flags, reporter) =>
  preflight(
    () => loadConfig(),
    (config) => ({ config, clients: makeClients(config.region), runner: zxRunner, clock: realClock, resolveNs: (name) => dns.resolveNs(name), env: process.env, allowOverBudget: Boolean(flags['allow-over-budget']) }),
    reporter,
  ),
);
