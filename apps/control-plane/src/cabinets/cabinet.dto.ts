import { z } from 'zod';
import { isValidGs1CheckDigit } from '#domain';
import { WitnessSchema } from '../auth/witness.dto.js';

export const CabinetIdParam = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'id must be a device id');
export const PocketIdParam = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'pocketId must be 1-32 characters of A-Z a-z 0-9 _ . -');

export const gtinSchema = z
  .string()
  .regex(/^\d{14}$/, 'gtin must be 14 digits (GS1 AI 01)')
  .refine(isValidGs1CheckDigit, 'gtin check digit is wrong');
export const lotSchema = z.string().regex(/^[\x21-\x7e]{1,20}$/, 'lot must be 1-20 printable characters (GS1 AI 10)');
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expiry must be a date YYYY-MM-DD')
  .refine((d) => new Date(`${d}T00:00:00.000Z`).toISOString().slice(0, 10) === d, 'expiry is not a calendar date');
const quantity = z.number().int('quantity must be a whole number').min(1).max(1000).default(1);
const reason = z.string().trim().min(1, 'reason must not be empty').max(200);

export const ConfigurePocketSchema = z.strictObject({
  gtin: gtinSchema,
  medicationName: z.string().min(1).max(128),
  controlled: z.boolean().default(false),
  parLevel: z.number().int().min(0).max(10_000).default(0),
});
export type ConfigurePocket = z.output<typeof ConfigurePocketSchema>;

export const RemoveSchema = z.strictObject({
  quantity,
  /** omitted: the usable lot that expires first (FEFO) */
  lot: lotSchema.optional(),
  serial: z.string().min(1).max(20).optional(),
  orderId: z.string().min(1).max(64).optional(),
  /** a removal without a verified order; flagged for pharmacist review */
  override: z.strictObject({ reason }).optional(),
});
export type RemoveInput = z.output<typeof RemoveSchema>;

export const RestockSchema = z.strictObject({ lot: lotSchema, expiry: isoDate, quantity });
export type RestockInput = z.output<typeof RestockSchema>;

/** A second user who authenticates for this act: badge + PIN, or username + password (never a token). */
export type WitnessInput = z.output<typeof WitnessSchema>;

export const WasteSchema = z.strictObject({
  quantity,
  lot: lotSchema.optional(),
  /** wasting (part of) a dose already removed: no pocket opens */
  removalId: z.uuid().optional(),
  witness: WitnessSchema.optional(),
  reason: reason.optional(),
});
export type WasteInput = z.output<typeof WasteSchema>;

export const ReturnSchema = z.strictObject({
  quantity,
  lot: lotSchema,
  removalId: z.uuid().optional(),
  /** defaults to the cabinet's return bin; a pocket is refused (returns are verified by pharmacy) */
  destination: z.union([z.strictObject({ returnBin: z.string().min(1).max(64) }), z.strictObject({ pocketId: z.string().min(1).max(32) })]).optional(),
});
export type ReturnInput = z.output<typeof ReturnSchema>;

export const CancelRemoveSchema = z.strictObject({ removalId: z.uuid() });

export const CountSchema = z.strictObject({
  counted: z.number().int().min(0).max(100_000),
  blind: z.boolean().default(true),
  lot: lotSchema.optional(),
});
export type CountInput = z.output<typeof CountSchema>;

export const CountPromptQuery = z.strictObject({ blind: z.enum(['true', 'false']).default('true') });
export const RequestCountSchema = z.strictObject({ blind: z.boolean().default(true) });

export const LockdownSchema = z.strictObject({ reason });

export const LedgerQuery = z.strictObject({
  pocketId: PocketIdParam.optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});

export const DiscrepanciesQuery = z.strictObject({
  state: z.enum(['open', 'resolved', 'all']).default('open'),
  ward: z.string().max(64).optional(),
});
export const DiscrepancyIdParam = z.uuid({ message: 'id must be a UUID' });
export const ResolveDiscrepancySchema = z.strictObject({
  reason,
  outcome: z.enum(['accept_count', 'keep_expected']),
  lot: lotSchema.optional(),
});
export type ResolveDiscrepancy = z.output<typeof ResolveDiscrepancySchema>;

export const RecallSchema = z.strictObject({ gtin: gtinSchema, lot: lotSchema, reason });
export type RecallInput = z.output<typeof RecallSchema>;
