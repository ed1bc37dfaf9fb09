import type { ApiBodyOptions } from '@nestjs/swagger';
import { z } from 'zod';

/** The OpenAPI schema of a zod schema, so docs and validation come from one definition. */
type SchemaObject = NonNullable<Extract<ApiBodyOptions, { schema?: unknown }>['schema']>;

export function jsonSchema(schema: z.ZodType): SchemaObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest as SchemaObject;
}
