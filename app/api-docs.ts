/**
 * `npm run api-docs`: writes app/API.md from the API's OpenAPI document (the route schemas).
 * `-- --check` exits 1 when app/API.md is out of date instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from './src/api/openapi-document.ts';
import { renderApiMarkdown } from './src/api/openapi-markdown.ts';

export const API_MD = fileURLToPath(new URL('./API.md', import.meta.url));

async function main(argv: string[]): Promise<void> {
  const rendered = renderApiMarkdown(await openApiDocument());
  if (argv.includes('--check')) {
    const current = readFileSync(API_MD, 'utf8');
    if (current !== rendered) {
      process.stderr.write('app/API.md is out of date with the route schemas: run npm run api-docs\n');
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(API_MD, rendered);
  process.stdout.write('wrote app/API.md\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
