/**
 * Preflight's check for what an earlier teardown (or `cdk destroy`) left behind: a leftover with
 * a fixed name makes the deploy fail, so it fails here with the commands to clear it; others
 * only cost money and warn. Leftovers are what teardown means by them (leftovers.ts).
 */
import type { PreflightCheck } from '../preflight.ts';
import { readInventory } from './inventory.ts';
import { describeLeftover, findLeftovers, type Leftover } from './leftovers.ts';

const SHOWN = 4;

function list(items: readonly Leftover[]): string {
  const shown = items.slice(0, SHOWN).map(describeLeftover).join('; ');
  return items.length > SHOWN ? `${shown}; and ${items.length - SHOWN} more` : shown;
}

export const checkLeftovers: PreflightCheck = {
  name: 'leftovers of an earlier teardown',
  aws: true,
  run: async ({ config, clients }) => {
    const inventory = await readInventory(clients.cfn, config.appName, config.region);
    const leftovers = await findLeftovers(inventory, clients);
    const app = config.appName;
    const clear = `npm run teardown lists each with the command that removes it (a trial teardown, npm run teardown -- --confirm ${app}, removes them itself)`;
    if (leftovers.length === 0) {
      return { status: 'pass', detail: inventory.deleted.length ? `none: the deleted ${app} stacks left nothing that is still there` : `none: no ${app} stack was ever deleted here` };
    }
    const blocking = leftovers.filter((l) => l.blocksDeploy);
    if (blocking.length) {
      return {
        status: 'fail',
        detail: `${blocking.length} resource(s) left by deleted ${app} stacks have the names this deploy creates, so it would fail: ${list(blocking)}`,
        fix: `remove them if the data can go: ${clear}; or deploy under another APP_NAME`,
      };
    }
    return { status: 'warn', detail: `${leftovers.length} resource(s) left by deleted ${app} stacks still cost money: ${list(leftovers)}`, fix: `keep them if you need them; else ${clear}` };
  },
};
