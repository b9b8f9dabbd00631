/**
 * Finds secret values written into a template as literals. Pure function over the JSON;
 * dynamic references (`{{resolve:secretsmanager:...}}`), Ref/GetAtt and ECS `Secrets`
 * (ValueFrom ARNs) are references, not literals.
 */

/** Property or variable names that must never carry a literal value. */
const SECRET_NAME = /(password|passwd|secret(?!(arn|name|id|string|s$|template))|token|authtoken|privatekey|apikey|encryptionkey|credential(?!s?arn))/i;

/** Values that look like credentials wherever they appear. */
const SECRET_VALUE: ReadonlyArray<[string, RegExp]> = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['URL with a password', /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i],
];

/** Names that look secret but carry configuration (e.g. a secret's length or a token's TTL). */
const ALLOWED_NAMES = /^(PasswordLength|ExcludeCharacters|ExcludePunctuation|GenerateStringKey|SecretStringTemplate|RequireEachIncludedType|IncludeSpace|ExcludeUppercase|ExcludeLowercase|ExcludeNumbers|TransitEncryptionEnabled|TransitEncryptionMode|AtRestEncryptionEnabled|StorageEncrypted|EnableIAMDatabaseAuthentication|KmsKeyId|KmsMasterKeyId|MasterUserSecret|ManageMasterUserPassword|TokenExpiration)$/;

export interface SecretFinding {
  /** Where in the template, e.g. `Resources.Db.Properties.MasterUserPassword`. */
  readonly path: string;
  readonly reason: string;
}

const isDynamicReference = (value: string) => /^\{\{resolve:(secretsmanager|ssm-secure):/.test(value);

/** Every literal that looks like a secret, with its path. */
export function findSecretLiterals(template: unknown): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const visit = (node: unknown, path: string, name: string | undefined) => {
    if (typeof node === 'string') {
      for (const [what, re] of SECRET_VALUE) if (re.test(node)) findings.push({ path, reason: `looks like a ${what}` });
      if (name && SECRET_NAME.test(name) && !ALLOWED_NAMES.test(name) && node.length > 0 && !isDynamicReference(node)) {
        findings.push({ path, reason: `${name} is a literal string` });
      }
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}[${i}]`, name));
      return;
    }
    if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      // Container environment: { Name, Value } pairs, judged by the variable name.
      if (typeof obj.Name === 'string' && 'Value' in obj && Object.keys(obj).length === 2) {
        visit(obj.Value, `${path}.Value`, obj.Name);
        return;
      }
      const join = obj['Fn::Join'];
      if (Array.isArray(join) && Array.isArray(join[1])) {
        // A dynamic reference assembled from parts: {{resolve:secretsmanager:<ref>:SecretString:...}}
        const assembled = join[1].map((part: unknown) => (typeof part === 'string' ? part : 'REF')).join(String(join[0]));
        if (isDynamicReference(assembled)) return;
      }
      for (const [key, value] of Object.entries(obj)) {
        // Intrinsics are references; Fn::Join is scanned as its parts.
        if (key === 'Ref' || key === 'Fn::GetAtt' || key === 'Fn::ImportValue') continue;
        visit(value, path ? `${path}.${key}` : key, key.startsWith('Fn::') ? name : key);
      }
    }
  };
  visit(template, '', undefined);
  return findings;
}
