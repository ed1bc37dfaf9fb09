import { z } from 'zod';
import { QUARANTINE_DISPOSITIONS } from '#domain';

export const ExcursionsQuery = z.strictObject({
  state: z.enum(['open', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const ExcursionIdParam = z.uuid({ message: 'id must be a UUID' });
export const DecideQuarantineSchema = z.strictObject({ disposition: z.enum(QUARANTINE_DISPOSITIONS) });
