/** npm run restore-drill [-- --cutover | --rollback | --cleanup]: point-in-time restore drills (see --help). */
import { processIo, runCommand } from './lib/cli.ts';
import { loadContext } from './lib/commands.ts';
import { drillOptionsFrom, RESTORE_SPEC, restoreFlow } from './lib/restore/command.ts';
import { zxRunner } from './lib/runner.ts';
import { realClock } from './lib/wait.ts';

process.exitCode = await runCommand(RESTORE_SPEC, processIo(), async (flags, reporter) => {
  const { config, clients } = loadContext();
  return restoreFlow(flags, drillOptionsFrom(flags, config), { ...clients, runner: zxRunner, clock: realClock, reporter });
});
