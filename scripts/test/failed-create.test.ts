/**
 * A failed first create with termination protection on: deploy clears the way for `cdk deploy`.
 * aws-sdk-client-mock, because the emulator neither fails a create into ROLLBACK_COMPLETE nor
 * enforces termination protection (moto 5.2.1 stores the flag and ignores it); the answers here
 * are CloudFormation's documented ones.
 */
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand, UpdateTerminationProtectionCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { stackNames } from '../../infra/outputs.ts';
import { Reporter } from '../lib/cli.ts';
import { clearFailedCreates, clearingCommands, findFailedCreates } from '../lib/failed-create.ts';
import { fakeClock } from '../lib/wait.ts';

const cfn = new CloudFormationClient({ region: 'eu-west-1' });
const m = mockClient(cfn);
const names = stackNames('slipway');
const DATA_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${names.data}/1111`;
const REASON = 'The following resource(s) failed to create: [DatabaseInstanceAA8A5FDE]. Rollback requested by user.';

interface FakeStack { status: string; protection: boolean; pollsLeft: number }
let data: FakeStack | undefined;
let calls: string[];
let retained: Array<{ LogicalResourceId: string; ResourceType: string; PhysicalResourceId: string; ResourceStatus: 'DELETE_SKIPPED' | 'DELETE_COMPLETE' }>;

beforeEach(() => {
  m.reset();
  calls = [];
  retained = [{ LogicalResourceId: 'DatabaseInstanceAA8A5FDE', ResourceType: 'AWS::RDS::DBInstance', PhysicalResourceId: 'slipway-db', ResourceStatus: 'DELETE_COMPLETE' }];
  data = { status: 'ROLLBACK_COMPLETE', protection: true, pollsLeft: 2 };
  m.on(DescribeStacksCommand).callsFake(({ StackName }: { StackName: string }) => {
    if ((StackName === names.data || StackName === DATA_ID) && data) {
      if (data.status === 'DELETE_IN_PROGRESS' && --data.pollsLeft <= 0) data.status = 'DELETE_COMPLETE';
      // A deleted stack is found by its id only, as CloudFormation does.
      if (data.status !== 'DELETE_COMPLETE' || StackName === DATA_ID) {
        return { Stacks: [{ StackName: names.data, StackId: DATA_ID, StackStatus: data.status, StackStatusReason: REASON, EnableTerminationProtection: data.protection, CreationTime: new Date() }] };
      }
    }
    if (StackName === names.network) return { Stacks: [{ StackName, StackId: 'n', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() }] };
    throw Object.assign(new Error(`Stack with id ${StackName} does not exist`), { name: 'ValidationError' });
  });
  m.on(UpdateTerminationProtectionCommand).callsFake((input: { StackName: string; EnableTerminationProtection: boolean }) => {
    calls.push(`UpdateTerminationProtection ${input.StackName} ${input.EnableTerminationProtection}`);
    data!.protection = input.EnableTerminationProtection;
    return { StackId: DATA_ID };
  });
  m.on(DeleteStackCommand).callsFake(({ StackName }: { StackName: string }) => {
    calls.push(`DeleteStack ${StackName}`);
    // CloudFormation's answer while protection is on.
    if (data!.protection) throw Object.assign(new Error(`Stack [${names.data}] cannot be deleted while TerminationProtection is enabled`), { name: 'ValidationError' });
    data!.status = 'DELETE_IN_PROGRESS';
    return {};
  });
  m.on(ListStackResourcesCommand).callsFake(() => ({ StackResourceSummaries: retained.map((r) => ({ ...r, LastUpdatedTimestamp: new Date() })) }));
});

function run(dryRun = false) {
  const out: string[] = [];
  const reporter = new Reporter({ json: false, stdout: { write: (t: string) => out.push(t) } });
  const result = clearFailedCreates({ cfn, clock: fakeClock(), reporter }, { appName: 'slipway', region: 'eu-west-1', dryRun, timeoutMs: 600_000 });
  return { result, text: () => out.join('') };
}

describe('a failed first create', () => {
  it('is found: the stack CloudFormation only deletes, with its protection and reason', async () => {
    expect(await findFailedCreates(cfn, 'slipway')).toEqual([{ stackName: names.data, stackId: DATA_ID, status: 'ROLLBACK_COMPLETE', reason: REASON, terminationProtection: true }]);
  });

  it('is deleted with its protection switched off first, so cdk deploy can create it again', async () => {
    const { result, text } = run();
    expect(await result).toEqual([names.data]);
    expect(calls).toEqual([`UpdateTerminationProtection ${DATA_ID} false`, `DeleteStack ${DATA_ID}`]);
    expect(text()).toContain(`· failed first create: ${names.data} is ROLLBACK_COMPLETE from a first create that failed (${REASON}): it never held data; deleting it (termination protection off first) so cdk deploy can create it again`);
    expect(text()).toContain(`✓ failed first create: ${names.data} deleted`);
  });

  it('a dry run says what a deploy will do and changes nothing', async () => {
    const { result, text } = run(true);
    expect(await result).toEqual([]);
    expect(calls).toEqual([]);
    expect(text()).toContain(`! failed first create: ${names.data} is ROLLBACK_COMPLETE from a first create that failed (${REASON}): a deploy deletes it first (switching its termination protection off), then creates it again`);
  });

  it('what its rollback kept stops the deploy after the delete, named, since the new create would collide with it', async () => {
    retained.push({ LogicalResourceId: 'AttachmentsBucket134755D7', ResourceType: 'AWS::S3::Bucket', PhysicalResourceId: 'slipway-attachments-123456789012-eu-west-1', ResourceStatus: 'DELETE_SKIPPED' });
    await expect(run().result).rejects.toThrow(`${names.data}'s rollback kept 1 resource(s) whose names the new create needs: AWS::S3::Bucket slipway-attachments-123456789012-eu-west-1. Fix: they were made by the failed attempt; npm run preflight prints the command that clears each, then run npm run deploy again`);
    expect(data!.status).toBe('DELETE_COMPLETE');
  });

  it('ROLLBACK_FAILED is left to the operator, with the commands', async () => {
    data!.status = 'ROLLBACK_FAILED';
    await expect(run().result).rejects.toThrow(`${names.data} is ROLLBACK_FAILED from a first create that failed (${REASON}), and CloudFormation could not remove everything it created. Fix: read its events (aws cloudformation describe-stack-events --stack-name ${names.data} --region eu-west-1), remove what they name, then ${clearingCommands({ stackName: names.data, stackId: DATA_ID, status: 'ROLLBACK_FAILED', terminationProtection: true }, 'eu-west-1').join(' && ')} and deploy again`);
    expect(calls).toEqual([]);
  });

  it('stacks that exist normally, or not at all, are left alone', async () => {
    data = undefined;
    expect(await run().result).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('the printed commands switch protection off before the delete', () => {
    expect(clearingCommands({ stackName: names.data, stackId: DATA_ID, status: 'ROLLBACK_COMPLETE', terminationProtection: true }, 'eu-west-1')).toEqual([
      `aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name ${names.data} --region eu-west-1`,
      `aws cloudformation delete-stack --stack-name ${names.data} --region eu-west-1`,
    ]);
  });
});
