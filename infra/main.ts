/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy --all`. Settings come from `.env`, the
 * environment and CDK context (context wins), over the example values kept in cdk.json so
 * a fresh clone synthesizes offline; see infra/README.md.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { warnIfOverBudget } from '../scripts/lib/cost/budget-verdict.ts';
import { addSlipwayStacks } from './app.ts';
import { ConfigError, EXAMPLE_SETTINGS_CONTEXT_KEY, SETTING_NAMES, loadConfig } from './config.ts';

const app = new App();
const context = Object.fromEntries(SETTING_NAMES.map((name) => [name, app.node.tryGetContext(name)]));

/** Runs `build`; a ConfigError ends the process with its message instead of a stack trace. */
function orExit<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

const config = orExit(() => loadConfig({ context, example: app.node.tryGetContext(EXAMPLE_SETTINGS_CONTEXT_KEY) ?? {} }));

if (config.exampleSettings.length > 0) {
  // Fine for looking at the templates; preflight refuses to deploy them.
  console.warn(
    `Using example values for ${config.exampleSettings.join(', ')} (cdk.json "${EXAMPLE_SETTINGS_CONTEXT_KEY}"). ` +
      'Set your own in .env, the environment or -c KEY=value before deploying.',
  );
}

orExit(() => addSlipwayStacks(app, config));
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
// COST_BUDGET_USD: warn here; preflight and deploy refuse.
warnIfOverBudget(app.synth(), config);
