/**
 * Preflight's check for what an earlier teardown (or `cdk destroy`) left behind: a leftover with
 * a fixed name makes the deploy fail, so it fails here with the command that clears each; others
 * only cost money and warn. Leftovers are what teardown means by them (leftovers.ts), found from
 * the deleted stacks' records. CloudFormation keeps those 90 days, so when no stack of the app
 * is deployed, the fixed names the kit retains (infra/names.ts retainedNames) are also looked up
 * directly: a bucket, repository, log group or SES identity outlives the record of its stack.
 */
import { optionalNamed, retainedNames } from '../../../infra/names.ts';
import type { SlipwayConfig } from '../../../infra/config.ts';
import type { PreflightCheck } from '../preflight-check.ts';
import { kindOf } from './catalogue.ts';
import { readInventory } from './inventory.ts';
import type { LeftoverClients } from './kinds.ts';
import { describeLeftover, findLeftovers, type Leftover } from './leftovers.ts';

const SHOWN = 4;
/** Where a name found without a stack record says it came from. */
export const NO_STACK_RECORD = 'no stack record: made by hand, or its stack was deleted over 90 days ago';

function list(items: readonly Leftover[]): string {
  const shown = items.slice(0, SHOWN).map(describeLeftover).join('; ');
  return items.length > SHOWN ? `${shown}; and ${items.length - SHOWN} more` : shown;
}

/** A secret's physical id is its ARN, which carries the name and a 6-character suffix. */
const sameResource = (l: Leftover, type: string, name: string) =>
  l.type === type && (l.id === name || (type === 'AWS::SecretsManager::Secret' && l.id.includes(`:secret:${name}-`)));

/** The kit's fixed names that exist without a deployed stack, and that the stack records did not explain. */
async function fixedNamesInTheWay(config: SlipwayConfig, clients: LeftoverClients, known: readonly Leftover[]): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const r of retainedNames(config.appName, config.account, config.region, config.email.sesDomain, optionalNamed(config))) {
    const kind = kindOf(r.type)!;
    if (known.some((l) => sameResource(l, r.type, r.id))) continue;
    const presence = await kind.presence(r.id, clients);
    if (presence.state === 'exists' || (presence.state === 'scheduled' && kind.scheduledIsLeftover)) {
      found.push({ stackName: NO_STACK_RECORD, logicalId: '', type: r.type, id: r.id, origin: 'retained', kind, blocksDeploy: true, presence });
    }
  }
  return found;
}

/** The AWS CLI commands that clear each leftover, joined for one fix line. */
function clearing(items: readonly Leftover[], region: string): string {
  return items.map((l) => (l.kind ? l.kind.commands(l.id, region).join(' && ') : `check ${l.type} ${l.id} by hand`)).join('; ');
}

export const checkLeftovers: PreflightCheck = {
  name: 'leftovers of an earlier teardown',
  aws: true,
  run: async ({ config, clients }) => {
    const inventory = await readInventory(clients.cfn, config.appName, config.region);
    const recorded = await findLeftovers(inventory, clients);
    // A deployed stack owns these names: a routine deploy is not in their way.
    const leftovers = inventory.live.length ? recorded : [...recorded, ...(await fixedNamesInTheWay(config, clients, recorded))];
    const app = config.appName;
    if (leftovers.length === 0) {
      return { status: 'pass', detail: inventory.deleted.length ? `none: the deleted ${app} stacks left nothing that is still there` : `none: no ${app} stack was ever deleted here` };
    }
    const teardown = `a trial teardown (npm run teardown -- --confirm ${app}) removes what its deleted stacks left by itself`;
    const blocking = leftovers.filter((l) => l.blocksDeploy);
    if (blocking.length) {
      return {
        status: 'fail',
        detail: `${blocking.length} resource(s) left by deleted ${app} stacks have the names this deploy creates, so it would fail: ${list(blocking)}`,
        fix: `remove them if the data can go: ${clearing(blocking, config.region)} (${teardown}); or deploy under another APP_NAME`,
      };
    }
    return { status: 'warn', detail: `${leftovers.length} resource(s) left by deleted ${app} stacks still cost money: ${list(leftovers)}`, fix: `keep them if you need them; else ${clearing(leftovers, config.region)}` };
  },
};
