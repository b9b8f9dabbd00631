/** npm run cost [-- --profile both --against main ...]: the monthly cost estimate (see --help). */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { loadConfig } from '../infra/config.ts';
import { processIo, runCommand } from './lib/cli.ts';
import { COST_SPEC, costFlow } from './lib/cost/command.ts';
import { deployedAssembly, synthesize, synthesizeRevision } from './lib/cost/synth.ts';
import { zxRunner } from './lib/runner.ts';

process.exitCode = await runCommand(COST_SPEC, processIo(), async (flags, reporter) => {
  const config = loadConfig();
  return costFlow(flags, {
    config,
    reporter,
    synth: (context) => synthesize(zxRunner, { context }),
    synthRevision: (ref, context) => synthesizeRevision(zxRunner, ref, { context }),
    deployed: () => deployedAssembly(new CloudFormationClient({ region: config.region }), config.appName, config.region),
  });
});
