/** npm run smoke -- --base-url URL [...]: the production smoke gate (see --help). */
import { processIo, runCommand } from './lib/cli.ts';
import { SMOKE_SPEC, smokeFlow } from './lib/smoke-command.ts';
import { realClock } from './lib/wait.ts';

process.exitCode = await runCommand(SMOKE_SPEC, processIo(), (flags, reporter) => smokeFlow(flags, reporter, { clock: realClock }));
