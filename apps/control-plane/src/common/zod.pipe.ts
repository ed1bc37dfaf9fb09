/**
 * Parses an HTTP body/query/param with a zod schema at the edge. Failures become a
 * ValidationError naming the first offending field (e.g. `serialNumber: Required`).
 */
import type { PipeTransform } from '@nestjs/common';
import { ValidationError } from '#domain';
import type { z } from 'zod';

export function formatZodPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export function zodToValidationError(error: z.ZodError, where = 'body'): ValidationError {
  const issues = error.issues.map((i) => ({ field: formatZodPath(i.path) || where, message: i.message }));
  const first = issues[0]!;
  return new ValidationError(`${first.field}: ${first.message}`, first.field, { issues });
}

export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly where = 'body',
  ) {}

  transform(value: unknown): z.infer<S> {
    const r = this.schema.safeParse(value);
    if (!r.success) throw zodToValidationError(r.error, this.where);
    return r.data;
  }
}
