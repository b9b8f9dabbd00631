/** npm run rollback [-- --to RELEASE]: roll back through CDK, gate, record (see --help). */
import { processIo, runCommand } from './lib/cli.ts';
import { loadContext, ROLLBACK_SPEC, rollbackOptionsFrom } from './lib/commands.ts';
import { listHistory, rollback } from './lib/rollback.ts';
import { zxRunner } from './lib/runner.ts';
import { realClock } from './lib/wait.ts';

process.exitCode = await runCommand(ROLLBACK_SPEC, processIo(), async (flags, reporter) => {
  const { config, clients } = loadContext();
  if (flags.list) return listHistory({ config }, { ...clients, reporter });
  return rollback(rollbackOptionsFrom(flags, config), { ...clients, runner: zxRunner, clock: realClock, reporter });
});
