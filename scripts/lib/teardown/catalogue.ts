/**
 * Every kind of resource a stack deletion can leave behind, in one table, so the plan, the
 * removal, the printed commands and preflight's leftover check all speak of the same things.
 */
import { CONFIG_KINDS } from './kinds-config.ts';
import { DATA_KINDS } from './kinds-data.ts';
import type { ResourceKind } from './kinds.ts';

export const KINDS: readonly ResourceKind[] = [...DATA_KINDS, ...CONFIG_KINDS];

export function kindOf(type: string): ResourceKind | undefined {
  return KINDS.find((k) => k.type === type);
}
