/** What a release deploys (every stack, or the service stack alone) and which services it rolls. */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { stackNames } from '../../infra/outputs.ts';
import type { ServiceRef } from './ecs.ts';
import type { RollTarget } from './release-flow.ts';
import { StackOutputs } from './stacks.ts';

/** Deploy targets: every stack for a release; the service stack alone for a rollback or restart. */
export function deployTargets(deps: { readonly cfn: CloudFormationClient }, appName: string): { all: RollTarget; allButData: RollTarget; serviceOnly: RollTarget } {
  const services = () => serviceRef(new StackOutputs(deps.cfn, appName));
  const names = stackNames(appName);
  const failureOrder = [names.service, names.data, names.edge, names.registry, names.network, names.observability];
  return {
    all: { stacks: ['--all'], exclusively: false, serviceStack: names.service, stackNames: failureOrder, services },
    // While a restore-drill cutover is active: a data stack update may write the original
    // instance's endpoint back into the database secret.
    allButData: {
      stacks: [names.network, names.registry, names.edge, names.service, names.observability],
      exclusively: true,
      serviceStack: names.service,
      stackNames: failureOrder.filter((n) => n !== names.data),
      services,
    },
    serviceOnly: { stacks: [names.service], exclusively: true, serviceStack: names.service, stackNames: [names.service], services },
  };
}

/** Service names from the stack outputs; before the first deploy there are none yet. */
export async function serviceRef(outputs: StackOutputs): Promise<ServiceRef> {
  const [cluster, api, web] = await Promise.all([outputs.find('clusterName'), outputs.find('apiServiceName'), outputs.find('webServiceName')]);
  if (!cluster || !api || !web) throw new Error(`the service stack has no cluster or service outputs yet (${stackNames(outputs.appName).service})`);
  return { cluster, services: [api, web] };
}
