/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy --all`. Settings come from `.env`, the
 * environment and CDK context (context wins); see infra/README.md.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addSlipwayStacks } from './app.ts';
import { ConfigError, SETTING_NAMES, loadConfig } from './config.ts';

const app = new App();
const context = Object.fromEntries(SETTING_NAMES.map((name) => [name, app.node.tryGetContext(name)]));

let config;
try {
  config = loadConfig({ context });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

addSlipwayStacks(app, config);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
