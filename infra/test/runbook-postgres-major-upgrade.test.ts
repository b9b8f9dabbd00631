/**
 * runbooks/postgres-major-upgrade.md gives the rehearsal's parameter group, the log groups and
 * the lines the kit prints: each is held here to the synthesized stacks and the code, so the
 * rehearsal keeps the kit's parameters and the quoted lines stay true.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { resourceNames } from '../names.ts';
import { synthApp, type SynthesizedApp } from './support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const TEXT = read('runbooks/postgres-major-upgrade.md');
const PROSE = TEXT.replace(/```[\s\S]*?```/g, '').replace(/\n\s*/g, ' ');
const CODE = [...TEXT.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' ')).join('\n');
const command = (start: string) => CODE.split('\n').find((l) => l.trimStart().startsWith(start)) ?? '';
const flag = (line: string, name: string) => line.match(new RegExp(`--${name} (\\S+)`))?.[1];

describe('postgres-major-upgrade runbook', () => {
  let synth: SynthesizedApp;
  beforeAll(() => {
    synth = synthApp();
  });
  afterAll(() => synth?.cleanup());

  const resources = (type: string) => Object.values(synth.templates.data.findResources(type)) as any[];

  it("makes the rehearsal's parameter group of the new family with exactly the kit's parameters", () => {
    const [group] = resources('AWS::RDS::DBParameterGroup');
    expect(synth.config.database.engineVersion).toBe('17');
    const create = command('aws rds create-db-parameter-group');
    expect(flag(create, 'db-parameter-group-family')).toBe(group.Properties.Family);
    const given = Object.fromEntries([...command('aws rds modify-db-parameter-group').matchAll(/ParameterName=([^,]+),ParameterValue=([^,]+),ApplyMethod=pending-reboot/g)].map((m) => [m[1], m[2]]));
    expect(given).toEqual(group.Properties.Parameters);
  });

  it('upgrades the copy naming that group, as RDS requires of an instance on a custom group, and deletes it afterwards', () => {
    const [instance] = resources('AWS::RDS::DBInstance');
    // The kit's instance is on its own group, not a default one: the copy inherits it.
    expect(instance.Properties.DBParameterGroupName).toEqual({ Ref: expect.stringMatching(/^DatabaseParameters/) });
    const name = flag(command('aws rds create-db-parameter-group'), 'db-parameter-group-name');
    const modify = command('aws rds modify-db-instance');
    expect(modify).toContain('--allow-major-version-upgrade');
    expect(flag(modify, 'db-parameter-group-name')).toBe(name);
    expect(flag(command('aws rds delete-db-parameter-group'), 'db-parameter-group-name')).toBe(name);
  });

  it('takes, names in the way back, and deletes the same manual snapshot', () => {
    const snapshot = flag(command('aws rds create-db-snapshot'), 'db-snapshot-identifier');
    expect(flag(command('aws rds delete-db-snapshot'), 'db-snapshot-identifier')).toBe(snapshot);
    expect(PROSE).toContain(`the manual snapshot \`${snapshot}\``);
  });

  it('reads the upgrade log where the kit exports it', () => {
    const [instance] = resources('AWS::RDS::DBInstance');
    expect(instance.Properties.EnableCloudwatchLogsExports).toContain('upgrade');
    const names = resources('AWS::Logs::LogGroup').map((g) => g.Properties.LogGroupName);
    const { dbInstanceIdentifier } = resourceNames(synth.config.appName, synth.config.account, synth.config.region);
    expect(instance.Properties.DBInstanceIdentifier).toBe(dbInstanceIdentifier);
    expect(names).toContain(`/aws/rds/instance/${dbInstanceIdentifier}/upgrade`);
    expect(PROSE).toContain('`/aws/rds/instance/<DbInstanceIdentifier>/upgrade`');
  });

  it("finds migrate's log group by the logical ID the service stack gives it", () => {
    const template = synth.templates.service.toJSON();
    const prefix = CODE.match(/starts_with\(LogicalResourceId, '([A-Za-z]+)'\)/)![1]!;
    const matching = Object.entries(template.Resources).filter(([id, r]: [string, any]) => r.Type === 'AWS::Logs::LogGroup' && id.startsWith(prefix)).map(([id]) => id);
    expect(matching).toHaveLength(1);
    const migrateContainer = Object.values(synth.templates.service.findResources('AWS::ECS::TaskDefinition'))
      .flatMap((td: any) => td.Properties.ContainerDefinitions)
      .find((c: any) => c.Name === 'migrate');
    expect(migrateContainer.LogConfiguration.Options['awslogs-group']).toEqual({ Ref: matching[0] });
    expect(command('MIGRATE_LOGS=')).toContain('--stack-name slipway-service');
  });

  it('quotes the lines migrate and the drill print', () => {
    const migrate = read('app/src/migrate/command.ts');
    const analyzed = PROSE.match(/`(analyzed N table\(s\)[^`]*): …`/)![1]!;
    expect(migrate).toContain(analyzed.replace('N', '${statistics.analyzed.length}'));
    expect(PROSE).toContain('`could not analyze <table> (…)`');
    expect(migrate).toContain('`could not analyze ${table} (${error})');
    expect(PROSE).toContain('`drill passed: …; <copy> kept (--keep)`');
    expect(read('scripts/lib/restore/drill.ts')).toContain('`drill passed: ${measured}; ${restoredId} kept (--keep)`');
    expect(read('app/src/api/errors.ts')).toMatch(/HttpError\(503, 'database_unavailable'.*'retry-after'/);
  });

  it('says which versions DB_ENGINE_VERSION accepts', () => {
    const accepts = (v: string) => {
      try {
        return loadConfig({ env: { DEPLOY_PROFILE: 'trial', DB_ENGINE_VERSION: v }, envFile: false }).database.engineVersion === v;
      } catch {
        return false;
      }
    };
    expect(PROSE).toContain('`DB_ENGINE_VERSION` accepts 16 and 17');
    expect(['15', '16', '17', '18'].filter(accepts)).toEqual(['16', '17']);
  });

  it("says restore-drill restores with the source's current parameter group", () => {
    expect(read('scripts/lib/restore/drill.ts')).toMatch(/const parameterGroup = source\.DBParameterGroups\?\.\[0\]\?\.DBParameterGroupName;[\s\S]*DBParameterGroupName: parameterGroup,/);
    expect(PROSE).toContain('restores the database with its current parameter group');
  });
});
