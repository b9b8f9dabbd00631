/**
 * OAuth sign-in in the kit: a client id is a setting; its client secret lives in Secrets
 * Manager (retained, never in a template) and reaches the api as an ECS secret. Without a
 * client id nothing is created, and adding one leaves every existing logical id alone.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNSET_SECRET_KEY, isUnsetSecret } from '../../app/src/config/oauth-providers.ts';
import { ConfigError } from '../config.ts';
import { findSecretLiterals } from '../policies/secret-literals.ts';
import { statefulLogicalIds, type TemplateJson } from '../policies/stateful-resources.ts';
import { exampleConfig, onlyResource, synthApp, type StackKey, type SynthesizedApp } from './support.ts';

const GITHUB_CLIENT_ID = 'Ov23liAbCdEf01234567';
const GOOGLE_CLIENT_ID = '123456789012-abc123def456.apps.googleusercontent.com';

let plain: SynthesizedApp;
let oauth: SynthesizedApp;
beforeAll(() => {
  plain = synthApp();
  oauth = synthApp({ GITHUB_CLIENT_ID, GOOGLE_CLIENT_ID });
});
afterAll(() => {
  plain?.cleanup();
  oauth?.cleanup();
});

const json = (app: SynthesizedApp, key: StackKey) => app.templates[key].toJSON() as TemplateJson;
const apiContainer = (app: SynthesizedApp) =>
  onlyResource(app.templates.service, 'AWS::ECS::TaskDefinition', { ContainerDefinitions: [Match.objectLike({ Name: 'api' })] }).resource.Properties.ContainerDefinitions[0];
const clientSecrets = (app: SynthesizedApp) =>
  app.templates.data.findResources('AWS::SecretsManager::Secret', { Properties: { Name: Match.stringLikeRegexp('client-secret') } });

describe('OAuth client secrets', () => {
  it('are not created without a client id', () => {
    expect(Object.keys(clientSecrets(plain))).toEqual([]);
    const names = apiContainer(plain).Secrets.map((s: { Name: string }) => s.Name);
    expect(names.filter((n: string) => n.includes('CLIENT'))).toEqual([]);
  });

  it('get one retained secret per provider, holding the placeholder the app recognizes until the operator puts the value in', () => {
    const found = clientSecrets(oauth);
    expect(Object.values(found).map((r) => r.Properties.Name).sort()).toEqual(['slipway/app/github-client-secret', 'slipway/app/google-client-secret']);
    for (const resource of Object.values(found)) {
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      const generated = resource.Properties.GenerateSecretString;
      expect(resource.Properties.SecretString).toBeUndefined();
      // What Secrets Manager will hold: the template with the generated key added.
      const initial = JSON.stringify({ ...JSON.parse(generated.SecretStringTemplate), [generated.GenerateStringKey]: 'x'.repeat(generated.PasswordLength) });
      expect(isUnsetSecret(initial)).toBe(true);
      expect(generated.SecretStringTemplate).toContain(UNSET_SECRET_KEY);
    }
  });

  it('reach the api as ECS secrets, next to the client ids as plain settings', () => {
    const container = apiContainer(oauth);
    const env = Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
    expect(env).toMatchObject({ GITHUB_CLIENT_ID, GOOGLE_CLIENT_ID });
    expect(env.GITHUB_CLIENT_SECRET).toBeUndefined();
    const secrets = Object.fromEntries(container.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, JSON.stringify(s.ValueFrom)]));
    expect(secrets.GITHUB_CLIENT_SECRET).toMatch(/GitHubClientSecret/);
    expect(secrets.GOOGLE_CLIENT_SECRET).toMatch(/GoogleClientSecret/);
  });

  // Pinned like infra/test/safety.test.ts: a change here would replace (and lose) a secret.
  it('add stateful logical ids without changing any existing one', () => {
    const before = statefulLogicalIds(json(plain, 'data'));
    const after = statefulLogicalIds(json(oauth, 'data'));
    expect(after.filter((id) => !before.includes(id))).toEqual(['AppSecretsGitHubClientSecret247C5FD5', 'AppSecretsGoogleClientSecret55D5378F']);
    expect(before.every((id) => after.includes(id))).toBe(true);
  });

  it('pass cdk-nag with nothing unacknowledged', () => {
    const violations = new AwsSolutionsChecks().validateScope(oauth.app).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(violations).toEqual([]);
  });

  it('leave no secret literal in any template', () => {
    for (const key of Object.keys(oauth.templates) as StackKey[]) expect(findSecretLiterals(oauth.templates[key].toJSON())).toEqual([]);
  });
});

describe('OAuth settings', () => {
  it.each([
    ['GITHUB_CLIENT_ID', 'has spaces in it', 'GITHUB_CLIENT_ID="has spaces in it" is not a GitHub OAuth client id. Fix: copy the Client ID of the OAuth app'],
    ['GOOGLE_CLIENT_ID', 'my-google-client', 'GOOGLE_CLIENT_ID="my-google-client" is not a Google OAuth client id. Fix: copy the Client ID of the web client'],
  ])('%s=%s is refused, naming the fix', (name, value, message) => {
    let error: unknown;
    try {
      exampleConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([expect.stringContaining(message)]);
  });
});
