import { z } from 'zod';

export const SensorIdParam = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'id must be a device id');
export const WardParam = z.string().min(1).max(64);

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp with a time zone' });

export const ReadingsQuery = z
  .strictObject({
    from: instant.optional(),
    to: instant.optional(),
    resolution: z.enum(['raw', '1m']).default('raw'),
    metric: z.string().max(32).optional(),
    channel: z.string().max(32).optional(),
    limit: z.coerce.number().int().min(1).max(50_000).default(5_000),
  })
  .transform((q) => {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 3_600_000);
    return { ...q, from, to };
  })
  .refine((q) => q.from.getTime() <= q.to.getTime(), { path: ['from'], message: 'from must not be after to' });
export type ReadingsQuery = z.output<typeof ReadingsQuery>;
