/**
 * Renders the OpenAPI document as app/API.md: the conventions every route shares (written
 * here once), then one table row per operation and one section per named shape, all read from
 * the document the API serves at /api/openapi.json, so the reference cannot drift from the code.
 */
import type { OpenAPIV3_1 } from 'openapi-types';

type Schema = OpenAPIV3_1.SchemaObject & { $ref?: string };

const INTRO = `# Slipway HTTP API

<!-- Generated from the route schemas (GET /api/openapi.json) by \`npm run api-docs\`; do not edit by hand. -->

Everything is served under \`/api/\`. The web server forwards \`/api/*\` unchanged, so the browser
talks to one origin; the load balancer routes \`/api/*\` straight to the API service. The
machine-readable reference is \`GET /api/openapi.json\` (OpenAPI 3.1).

Errors always have one shape, with an HTTP status that says what kind of problem it is:

\`\`\`json
{ "error": { "code": "validation_failed", "message": "Invalid body: title: must not be empty", "issues": [{ "path": "title", "message": "must not be empty" }] } }
\`\`\`

| status | code examples | when |
| --- | --- | --- |
| 400 | \`validation_failed\`, \`invalid_json\` | the body, params or query do not match (\`issues[].path\` names the field), or the body is not JSON in UTF-8 |
| 401 | \`unauthenticated\` | no or bad session / token |
| 403 | \`forbidden\`, \`origin_not_allowed\`, \`workspace_creation_disabled\`, \`signup_not_allowed\` | signed in but not allowed |
| 404 | \`not_found\` | unknown route, or a record you cannot see (other workspaces look absent) |
| 409 | \`conflict\` | a unique value (slug, member) is taken |
| 413 | \`payload_too_large\` | body over \`BODY_LIMIT_BYTES\` |
| 415 | \`unsupported_media_type\` | a body sent without \`Content-Type: application/json\` (text/plain included) |
| 429 | \`rate_limited\` | too many sign-in requests (\`Retry-After\` header) |
| 502 | \`email_provider_failed\` | the email provider refused; reason in the log |
| 503 | \`not_configured\`, \`not_ready\`, \`database_unavailable\`, \`database_timeout\`, \`storage_unavailable\` | a feature is not configured, the server is shutting down, the database is unreachable or took longer than its 30 s limit (\`Retry-After\`), or attachment storage did not answer |

Authentication: the \`slipway_session\` cookie (HttpOnly, SameSite=Lax) or
\`Authorization: Bearer pat_…\`. Cookie-authenticated writes must carry an allowed \`Origin\`.
\`/health\`, \`/readyz\`, \`/healthz\` (and \`/api/healthz\`) answer like \`/api/health\` and
\`/api/readyz\`, for container checks.

A \`:ref\` is an issue number (\`42\`) or key (\`ENG-42\`). Live updates
(\`GET …/events\`) send \`event: ready\` at once, then one of \`issue.created\`, \`issue.updated\`,
\`issue.deleted\`, \`comment.created\`, \`comment.updated\`, \`comment.deleted\`, with a
\`: heartbeat\` comment every 15 s.
`;

const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);

/** A short type for a table cell: `Issue`, `string \| null`, `Issue[]`, `{issue}`. */
export function typeOf(schema: Schema | undefined): string {
  if (!schema) return '';
  if (schema.$ref) return refName(schema.$ref);
  if (schema.anyOf) return schema.anyOf.map((s) => typeOf(s as Schema)).join(' \\| ');
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (schema.type === 'array') return `${typeOf(schema.items as Schema)}[]`;
  if (schema.type === 'object' && schema.properties) {
    const required = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(([name, value]) => {
      const inner = value as Schema;
      // Named shapes and arrays of them are worth spelling out; plain fields are listed by name.
      const named = inner.$ref || (inner.type === 'array' && (inner.items as Schema | undefined)?.$ref);
      return `${name}${required.has(name) ? '' : '?'}${named ? `: ${typeOf(inner)}` : ''}`;
    });
    return `{${fields.join(', ')}}`;
  }
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  return schema.type ?? 'any';
}

function inputOf(operation: OpenAPIV3_1.OperationObject): string {
  const parts: string[] = [];
  const query = (operation.parameters ?? []).filter((p) => (p as OpenAPIV3_1.ParameterObject).in === 'query') as OpenAPIV3_1.ParameterObject[];
  if (query.length > 0) parts.push(`?${query.map((p) => p.name).join('&')}`);
  const body = (operation.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content['application/json']?.schema as Schema | undefined;
  if (body?.properties) {
    const required = new Set(body.required ?? []);
    parts.push(`{${Object.keys(body.properties).map((name) => (required.has(name) ? name : `${name}?`)).join(', ')}}`);
  }
  return parts.join(' ');
}

function answerOf(operation: OpenAPIV3_1.OperationObject): string {
  return Object.entries(operation.responses ?? {})
    .filter(([status]) => /^\d+$/.test(status))
    .map(([status, response]) => {
      const schema = (response as OpenAPIV3_1.ResponseObject).content?.['application/json']?.schema as Schema | undefined;
      const type = status === '204' ? '' : typeOf(schema);
      return type ? `${status} ${type}` : status;
    })
    .join(', ');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function routesTable(document: OpenAPIV3_1.Document): string[] {
  const lines = ['| method and path | what | input | answer |', '| --- | --- | --- | --- |'];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of ['get', 'post', 'patch', 'put', 'delete'] as const) {
      const operation = item?.[method];
      if (!operation) continue;
      const route = path.replace(/\{(\w+)\}/g, ':$1');
      lines.push(`| \`${method.toUpperCase()} ${route}\` | ${cell(operation.summary ?? '')} | ${inputOf(operation)} | ${answerOf(operation)} |`);
    }
  }
  return lines;
}

function shapes(document: OpenAPIV3_1.Document): string[] {
  const lines: string[] = [];
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {}) as [string, Schema][]) {
    if (!schema.properties) continue;
    const required = new Set(schema.required ?? []);
    lines.push('', `### ${name}`, '', '| field | type | notes |', '| --- | --- | --- |');
    for (const [field, property] of Object.entries(schema.properties) as [string, Schema][]) {
      const notes = [required.has(field) ? '' : 'optional', property.description ?? ''].filter(Boolean).join('; ');
      lines.push(`| \`${field}\` | ${typeOf(property)} | ${cell(notes)} |`);
    }
  }
  return lines;
}

export function renderApiMarkdown(document: OpenAPIV3_1.Document): string {
  return [INTRO, '## Routes', '', ...routesTable(document), '', '## Shapes', ...shapes(document), ''].join('\n');
}
