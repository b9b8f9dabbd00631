/**
 * Route schemas are zod definitions, read through fastify-type-provider-zod so handlers get
 * typed params, query and bodies. Input is validated by zod and refused in the API's own
 * error shape (`Invalid body: title: must not be empty`); responses are written by
 * fast-json-stringify from the JSON Schema of the zod definition, which is faster than
 * JSON.stringify and never sends a field the schema does not declare.
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifySchemaCompiler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import fastJson, { type Schema } from 'fast-json-stringify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { validationError, type InputPart } from './errors.ts';
import { errorJson } from './v1/json.ts';

export type { ZodTypeProvider };

const PARTS: Record<string, InputPart> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** Validates one part of a request; a missing body or query is an empty object, as before. */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const where = PARTS[httpPart ?? 'body'] ?? 'body';
  return (data: unknown) => {
    const result = schema.safeParse(data ?? {});
    return result.success ? { value: result.data } : { error: validationError(result.error, where) };
  };
};

/** The JSON Schema (draft 7) of what a zod schema produces, as fast-json-stringify and OpenAPI read it. */
export function outputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'any' });
  return json;
}

type Serialize = (value: unknown) => string;
const compiled = new WeakMap<z.ZodType, Serialize>();

/**
 * Compiling a serializer generates code, which takes milliseconds per schema: each schema is
 * compiled once (the error shape is shared by every route) and only when first used, so
 * start-up does not pay for routes nobody calls.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  let serialize = compiled.get(schema);
  if (!serialize) {
    let real: Serialize | undefined;
    serialize = (value: unknown) => (real ??= fastJson(outputJsonSchema(schema) as unknown as Schema) as Serialize)(value);
    compiled.set(schema, serialize);
  }
  return serialize;
};

export type ApiInstance = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** Every route may answer with the one error shape (see errors.ts). */
export const ERROR_RESPONSES = { '4xx': errorJson, '5xx': errorJson } as const;

/** The answer of a 204: no body. */
export const noContent = z.void().describe('No content');
