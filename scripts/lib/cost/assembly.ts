/**
 * What the estimator reads: the CloudFormation templates of a cloud assembly and their stack
 * parameters. Built from a `cdk.out` folder, from an in-process `app.synth()`, or from the
 * templates CloudFormation holds for a deployed app; the estimator itself is a pure function
 * of this shape.
 */
import { CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  /** What CloudFormation does with the resource when its stack is deleted (teardown reads it). */
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
}

export interface StackTemplate {
  readonly stackName: string;
  /** undefined: an environment-agnostic stack (no region known). */
  readonly region?: string;
  readonly template: CfnTemplate;
  /** Parameter values the stack is (or will be) deployed with; defaults fill the rest. */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface AssemblyInput {
  readonly stacks: readonly StackTemplate[];
}

const UNRESOLVED_REGION = /^unknown-region$|\$\{Token/;

function fromArtifact(stack: CloudFormationStackArtifact): StackTemplate {
  const region = stack.environment.region;
  return {
    stackName: stack.stackName,
    region: UNRESOLVED_REGION.test(region) ? undefined : region,
    template: stack.template as CfnTemplate,
  };
}

/** The stacks of an in-process synthesis (`app.synth()`), nested assemblies included. */
export function assemblyFromCloudAssembly(assembly: CloudAssembly): AssemblyInput {
  return { stacks: assembly.stacksRecursively.map(fromArtifact) };
}

/** The stacks of a synthesized `cdk.out` folder. */
export function assemblyFromDirectory(dir: string): AssemblyInput {
  return assemblyFromCloudAssembly(new CloudAssembly(dir));
}

/** A property value as a literal, resolving `Ref` to a parameter; undefined when it is computed. */
export function literal(value: unknown, stack: StackTemplate): string | number | boolean | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  if (typeof ref === 'string') {
    const given = stack.parameters?.[ref];
    if (given !== undefined) return given;
    const fallback = stack.template.Parameters?.[ref]?.Default;
    if (typeof fallback === 'string' || typeof fallback === 'number') return fallback;
  }
  return undefined;
}

/** A numeric property, or undefined when it is absent or computed. */
export function numberProp(value: unknown, stack: StackTemplate): number | undefined {
  const v = literal(value, stack);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** True when `value` (any nesting of intrinsics) refers to the logical id `id`. */
export function refersTo(value: unknown, id: string): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => refersTo(v, id));
  const obj = value as Record<string, unknown>;
  if (obj.Ref === id) return true;
  const getAtt = obj['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[0] === id) return true;
  if (typeof getAtt === 'string' && getAtt.split('.')[0] === id) return true;
  return Object.values(obj).some((v) => refersTo(v, id));
}
