/** Left-behind kinds that hold configuration: secrets, the key, log groups, certificate, SES identity. */
import { DeleteCertificateCommand, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { DeleteLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { DeleteResourcePolicyCommand, DeleteSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DeleteEmailIdentityCommand, GetEmailIdentityCommand } from '@aws-sdk/client-sesv2';
import { existsUnless, presenceOf, removing, type ResourceKind } from './kinds.ts';
import { KEY_DELETION_DAYS, REMOVE_COMMANDS } from './remove-commands.ts';

const NO_SECRET = /^ResourceNotFoundException$/;
const day = (d: Date | undefined) => d?.toISOString().slice(0, 10) ?? 'a later date';

export const CONFIG_KINDS: readonly ResourceKind[] = [
  {
    type: 'AWS::SecretsManager::Secret',
    label: 'secret',
    why: 'a generated secret (database password, app keys): kept so a restored snapshot can still be opened and its encrypted data read',
    nameProperty: 'Name',
    // The name stays taken during the recovery window, so a new deploy would fail to create it.
    scheduledIsLeftover: true,
    presence: (arn, { secrets }) => presenceOf(async () => {
      const s = await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
      return s.DeletedDate ? { state: 'scheduled', detail: `scheduled for deletion on ${day(s.DeletedDate)}; its name stays taken until then` } : { state: 'exists' };
    }, NO_SECRET),
    async remove(arn, { secrets }) {
      // A policy that denies DeleteSecret (the database secret has one while its stack lives)
      // would block the delete; it goes first, best effort: a secret already scheduled for
      // deletion refuses policy changes, and the forced delete still works on it.
      await secrets.send(new DeleteResourcePolicyCommand({ SecretId: arn })).catch(() => undefined);
      await removing(() => secrets.send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true })), NO_SECRET);
    },
    commands: REMOVE_COMMANDS['AWS::SecretsManager::Secret']!,
  },
  {
    type: 'AWS::KMS::Key',
    label: 'KMS key',
    why: 'encrypts the alarm topic: kept so nothing it encrypted becomes unreadable',
    scheduledIsLeftover: false,
    presence: (id, { kms }) => presenceOf(async () => {
      const key = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata;
      return key?.KeyState === 'PendingDeletion' ? { state: 'scheduled', detail: `deletion scheduled for ${day(key.DeletionDate)}` } : { state: 'exists' };
    }, /^NotFoundException$/),
    remove: (id, { kms }) => removing(() => kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: KEY_DELETION_DAYS })), /^NotFoundException$/),
    commands: REMOVE_COMMANDS['AWS::KMS::Key']!,
  },
  {
    type: 'AWS::Logs::LogGroup',
    label: 'log group',
    why: 'logs: kept so they can still be read after the stack is gone',
    nameProperty: 'LogGroupName',
    scheduledIsLeftover: false,
    presence: (name, { logs }) => presenceOf(async () => {
      const groups = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups ?? [];
      return groups.some((g) => g.logGroupName === name) ? { state: 'exists' } : { state: 'gone' };
    }, /^ResourceNotFoundException$/),
    remove: (name, { logs }) => removing(() => logs.send(new DeleteLogGroupCommand({ logGroupName: name })), /^ResourceNotFoundException$/),
    commands: REMOVE_COMMANDS['AWS::Logs::LogGroup']!,
  },
  {
    type: 'AWS::CertificateManager::Certificate',
    label: 'certificate',
    why: 'the HTTPS certificate: kept so a stack still reading the old value is not broken (see the certificate runbook)',
    scheduledIsLeftover: false,
    presence: (arn, { acm }) => existsUnless(() => acm.send(new DescribeCertificateCommand({ CertificateArn: arn })), /^ResourceNotFoundException$/),
    remove: (arn, { acm }) => removing(() => acm.send(new DeleteCertificateCommand({ CertificateArn: arn })), /^ResourceNotFoundException$/),
    commands: REMOVE_COMMANDS['AWS::CertificateManager::Certificate']!,
  },
  {
    type: 'AWS::SES::EmailIdentity',
    label: 'SES identity',
    why: 'the sending domain: kept so a stack still reading it is not broken; an identity cannot exist twice',
    nameProperty: 'EmailIdentity',
    scheduledIsLeftover: false,
    presence: (identity, { ses }) => existsUnless(() => ses.send(new GetEmailIdentityCommand({ EmailIdentity: identity })), /^NotFoundException$/),
    remove: (identity, { ses }) => removing(() => ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: identity })), /^NotFoundException$/),
    commands: REMOVE_COMMANDS['AWS::SES::EmailIdentity']!,
  },
];
