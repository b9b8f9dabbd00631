/**
 * Refuses a deploy whose `cdk diff` would replace, delete or orphan a stateful resource
 * (database, cache, bucket, secret, registry, key), unless the operator says so explicitly.
 * Parses the resource lines of `cdk diff --no-color`:
 *   [~] AWS::RDS::DBInstance Data/Database DatabaseB269D8BB replace
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::CacheCluster',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
  'AWS::ECR::Repository',
  'AWS::KMS::Key',
]);

export type Impact = 'create' | 'update' | 'replace' | 'may-replace' | 'destroy' | 'orphan';

export interface DiffChange {
  readonly stack: string;
  readonly type: string;
  readonly logicalId: string;
  readonly impact: Impact;
}

const ANSI = /\u001b\[[0-9;]*m/g;
const RESOURCE_LINE = /^\[([+\-~])\]\s+((?:AWS|Custom)::[A-Za-z0-9:]+|Custom::\S+)\s+(.+?)\s*$/;
const STACK_LINE = /^Stack\s+(.+?)\s*$/;

function impactOf(sign: string, rest: string): { impact: Impact; ids: string } {
  const ends = (word: string) => rest.endsWith(` ${word}`);
  if (ends('may be replaced')) return { impact: 'may-replace', ids: rest.slice(0, -' may be replaced'.length) };
  if (ends('replace')) return { impact: 'replace', ids: rest.slice(0, -' replace'.length) };
  if (ends('destroy')) return { impact: 'destroy', ids: rest.slice(0, -' destroy'.length) };
  if (ends('orphan')) return { impact: 'orphan', ids: rest.slice(0, -' orphan'.length) };
  if (sign === '-') return { impact: 'destroy', ids: rest };
  return { impact: sign === '+' ? 'create' : 'update', ids: rest };
}

export function parseCdkDiff(output: string): DiffChange[] {
  let stack = '(unknown stack)';
  const changes: DiffChange[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.replace(ANSI, '').trimEnd();
    const stackMatch = STACK_LINE.exec(line);
    if (stackMatch) {
      stack = stackMatch[1]!;
      continue;
    }
    const m = RESOURCE_LINE.exec(line);
    if (!m) continue;
    const { impact, ids } = impactOf(m[1]!, m[3]!);
    const logicalId = ids.trim().split(/\s+/).pop() ?? ids;
    changes.push({ stack, type: m[2]!, logicalId, impact });
  }
  return changes;
}

const RISKY: ReadonlySet<Impact> = new Set(['replace', 'may-replace', 'destroy', 'orphan']);

/** The changes that would lose or detach data. */
export function statefulRisks(changes: readonly DiffChange[]): DiffChange[] {
  return changes.filter((c) => STATEFUL_TYPES.has(c.type) && RISKY.has(c.impact));
}

export function describeRisk(change: DiffChange): string {
  const verb = { replace: 'would be REPLACED', 'may-replace': 'may be REPLACED', destroy: 'would be DELETED', orphan: 'would leave the stack (orphaned)', create: 'created', update: 'updated' }[change.impact];
  return `${change.stack}: ${change.type} ${change.logicalId} ${verb}`;
}
