/**
 * Named (prepared) statements for the hot paths: PostgreSQL parses and plans a named statement
 * once per connection instead of on every request. A name must always stand for the same text
 * on a connection, so statements whose text is built from filters get a name per distinct text.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

const names = new Map<string, string>();

export function prepared(name: string, text: string, values: unknown[]): pg.QueryConfig {
  return { name, text, values };
}

/** For SQL assembled at run time: `bind(value)` appends to `values` and returns its placeholder (`$3`). */
export function binder(values: unknown[]): (value: unknown) => string {
  return (value) => {
    values.push(value);
    return `$${values.length}`;
  };
}

/** A named statement for SQL assembled at run time: the name follows the text. */
export function preparedDynamic(prefix: string, text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (!name) {
    name = `${prefix}-${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    // The variants are bounded by the filter combinations; the cap guards against a mistake.
    if (names.size < 1000) names.set(text, name);
  }
  return { name, text, values };
}
