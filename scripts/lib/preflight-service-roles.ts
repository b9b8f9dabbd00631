/**
 * Service-linked roles a fresh account may not have yet. Services create them on first use,
 * but the first ECS cluster or service can fail with "Unable to assume the service linked
 * role" while that happens; creating them before the first deploy avoids it. Found by path
 * (/aws-service-role/<service principal>/), which is what identifies a service-linked role:
 * - ECS: AWSServiceRoleForECS (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html)
 * - ECS autoscaling: AWSServiceRoleForApplicationAutoScaling_ECSService
 *   (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html)
 * - ElastiCache: AWSServiceRoleForElastiCache (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/using-service-linked-roles.html)
 * - RDS: AWSServiceRoleForRDS (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAM.ServiceLinkedRoles.html)
 */
import { ListRolesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { oneLine } from './cli.ts';
import { errorName, fail, pass, warn, type PreflightCheck } from './preflight-check.ts';

export const SERVICE_LINKED_ROLES = [
  { service: 'ecs.amazonaws.com', role: 'AWSServiceRoleForECS', label: 'ECS' },
  { service: 'ecs.application-autoscaling.amazonaws.com', role: 'AWSServiceRoleForApplicationAutoScaling_ECSService', label: 'ECS autoscaling' },
  { service: 'elasticache.amazonaws.com', role: 'AWSServiceRoleForElastiCache', label: 'ElastiCache' },
  { service: 'rds.amazonaws.com', role: 'AWSServiceRoleForRDS', label: 'RDS' },
] as const;

/** The command that creates a missing one (what runbooks/first-deploy.md runs). */
export const createServiceLinkedRole = (service: string) => `aws iam create-service-linked-role --aws-service-name ${service}`;

async function hasRole(iam: IAMClient, service: string): Promise<boolean> {
  const out = await iam.send(new ListRolesCommand({ PathPrefix: `/aws-service-role/${service}/` }));
  return (out.Roles ?? []).length > 0;
}

export const checkServiceLinkedRoles: PreflightCheck = {
  name: 'service-linked roles',
  aws: true,
  run: async ({ clients }) => {
    const missing: Array<(typeof SERVICE_LINKED_ROLES)[number]> = [];
    for (const r of SERVICE_LINKED_ROLES) {
      try {
        if (!(await hasRole(clients.iam, r.service))) missing.push(r);
      } catch (error) {
        if (/AccessDenied/.test(errorName(error))) {
          return warn(`could not list IAM roles (${oneLine(error)})`, `grant iam:ListRoles, or make sure these exist: ${SERVICE_LINKED_ROLES.map((s) => s.role).join(', ')} (${createServiceLinkedRole('<service>')})`);
        }
        throw error;
      }
    }
    if (missing.length) {
      return fail(
        `missing in this account: ${missing.map((m) => `${m.role} (${m.label})`).join(', ')}; the first deploy can fail with "Unable to assume the service linked role"`,
        missing.map((m) => createServiceLinkedRole(m.service)).join(' && '),
      );
    }
    return pass(`${SERVICE_LINKED_ROLES.map((r) => r.label).join(', ')}: present`);
  },
};
