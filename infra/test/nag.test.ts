import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct, type IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_REASON_LENGTH, acknowledge } from '../policies/acknowledge.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

let prod: SynthesizedApp;
let trial: SynthesizedApp;
beforeAll(() => {
  prod = synthApp();
  trial = synthApp({ DEPLOY_PROFILE: 'trial' });
});
afterAll(() => {
  prod?.cleanup();
  trial?.cleanup();
});

interface Ack {
  readonly path: string;
  readonly construct: IConstruct;
  readonly id: string;
  readonly reason: string;
}

function acknowledgements(app: App): Ack[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([key, reason]) => ({
          path: construct.node.path,
          construct,
          id: key.replace(/^annotation::/i, ''),
          reason,
        })),
      )
      // aws-cdk-lib acknowledges some of its own CloudFormation-Validate warnings; ours are cdk-nag rules.
      .filter((ack) => ack.id.startsWith('AwsSolutions-')),
  );
}

const findings = (app: App) =>
  new AwsSolutionsChecks().validateScope(app).violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`),
  );

/** Every finding, acknowledged or not. */
function rawFindings(app: App): Array<{ id: string; path: string }> {
  const pack = new AwsSolutionsChecks();
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath! })));
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the production app', () => {
    expect(findings(prod.app)).toEqual([]);
  });

  it('finds nothing unacknowledged in the trial app', () => {
    expect(findings(trial.app)).toEqual([]);
  });

  it('acknowledges on resources only, never on a stack or the app', () => {
    for (const ack of [...acknowledgements(prod.app), ...acknowledgements(trial.app)]) {
      expect(ack.construct instanceof Stack || ack.construct instanceof App, `${ack.id} on ${ack.path}`).toBe(false);
    }
  });

  it('gives every acknowledgement a specific reason', () => {
    const acks = acknowledgements(prod.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.length, `${ack.id} on ${ack.path}`).toBeGreaterThanOrEqual(MIN_REASON_LENGTH);
  });

  it.each([
    ['production', () => prod.app],
    ['trial', () => trial.app],
  ])('has no stale acknowledgement in the %s app', (_name, app) => {
    const raw = rawFindings(app());
    const stale = acknowledgements(app()).filter(
      (ack) => !raw.some((f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))),
    );
    expect(stale.map((a) => `${a.id} on ${a.path}`)).toEqual([]);
  });

  it('acknowledges Multi-AZ findings only when the profile turns Multi-AZ off', () => {
    const ids = (app: App) => acknowledgements(app).map((a) => a.id);
    expect(ids(prod.app)).not.toContain('AwsSolutions-RDS3');
    expect(ids(prod.app)).not.toContain('AwsSolutions-AEC4');
    expect(ids(trial.app)).toEqual(expect.arrayContaining(['AwsSolutions-RDS3', 'AwsSolutions-AEC4']));
  });
});

describe('acknowledge()', () => {
  it('refuses a stack-wide acknowledgement', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => acknowledge(stack, 'AwsSolutions-S1', 'a long enough reason that still names no resource at all')).toThrow(/on a resource, not on the whole S/);
  });

  it('refuses a vague reason', () => {
    const construct = new Construct(new Stack(new App(), 'S'), 'Thing');
    expect(() => acknowledge(construct, 'AwsSolutions-S1', 'not needed')).toThrow(/needs a specific reason/);
  });
});
