/** npm run teardown [-- --confirm APP_NAME ...]: plan, or remove, a deployment (see --help). */
import { processIo, runCommand } from './lib/cli.ts';
import { loadContext } from './lib/commands.ts';
import { TEARDOWN_SPEC, teardownOptionsFrom } from './lib/teardown/command.ts';
import { teardown } from './lib/teardown/flow.ts';
import { realClock } from './lib/wait.ts';

process.exitCode = await runCommand(TEARDOWN_SPEC, processIo(), async (flags, reporter) => {
  const { config, clients } = loadContext();
  return teardown(teardownOptionsFrom(flags, config), { clients, clock: realClock, reporter });
});
