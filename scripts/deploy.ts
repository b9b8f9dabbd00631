/** npm run deploy [-- --dry-run ...]: build, push, roll, gate, roll back on failure (see --help). */
import { processIo, runCommand } from './lib/cli.ts';
import { DEPLOY_SPEC, deployOptionsFrom, loadContext } from './lib/commands.ts';
import { deploy, restart } from './lib/deploy.ts';
import { httpRequest } from './lib/http.ts';
import { zxRunner } from './lib/runner.ts';
import { realClock } from './lib/wait.ts';

process.exitCode = await runCommand(DEPLOY_SPEC, processIo(), async (flags, reporter) => {
  const { config, clients } = loadContext();
  const options = deployOptionsFrom(flags, config);
  const deps = { ...clients, runner: zxRunner, clock: realClock, reporter, http: httpRequest };
  return flags.restart ? restart(options, deps) : deploy(options, deps);
});
