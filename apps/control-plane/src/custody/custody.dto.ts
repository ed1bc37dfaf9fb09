import { z } from 'zod';
import { isValidGs1CheckDigit } from '#domain';
import { BadgeSchema, WitnessSchema } from '../auth/witness.dto.js';

const gsrn = (what: string) =>
  z
    .string()
    .regex(/^\d{18}$/, `${what} must be an 18-digit GSRN`)
    .refine((v) => isValidGs1CheckDigit(v), `${what} has a wrong GS1 check digit`);
const uuid = (what: string) => z.uuid({ message: `${what} must be a UUID` });
/** A raw scanner string (GS1 DataMatrix with or without ]d2, or the bracketed human form). */
export const Barcode = z.string().min(1, 'barcode is empty').max(200, 'barcode is longer than any GS1 element string');

/**
 * Why a person chose the item instead of scanning it (BCMA practice: a manual entry is allowed,
 * recorded with its reason on the custody event, counted in medloop_manual_entries_total, and
 * passes the same checks as a scan — only the identification differs).
 */
export const MANUAL_ENTRY_REASONS = ['scanner_unavailable', 'label_damaged', 'wristband_unreadable', 'other'] as const;
export type ManualEntryReason = (typeof MANUAL_ENTRY_REASONS)[number];
const manualReason = {
  reason: z.enum(MANUAL_ENTRY_REASONS, { message: `manual.reason must be one of ${MANUAL_ENTRY_REASONS.join(', ')}` }),
  note: z.string().trim().max(200, 'manual.note: at most 200 characters').optional(),
};
/** What a manual entry records on the custody event, in place of what a scan would. */
export interface ManualEntry {
  reason: ManualEntryReason;
  note?: string | undefined;
}
/** exactly one of a scan and a manual selection identifies the item: 400 naming the field otherwise */
const exactlyOne = (scanned: unknown, chosen: unknown) => (scanned === undefined) !== (chosen === undefined);

export const CreatePatientSchema = z.strictObject({
  mrn: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'mrn: 1-32 letters, digits or -'),
  wristbandGsrn: gsrn('wristbandGsrn'),
  name: z.string().min(1).max(128),
  ward: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'ward ids use letters, digits and _ . : -'),
  bed: z.string().max(32).optional(),
});

export const CreateMedicationSchema = z.strictObject({
  gtin: z
    .string()
    .regex(/^\d{14}$/, 'gtin must be 14 digits')
    .refine((v) => isValidGs1CheckDigit(v), 'gtin has a wrong check digit'),
  name: z.string().min(1).max(128),
  strength: z.string().min(1).max(64),
  route: z.string().min(1).max(32),
  highAlert: z.boolean().default(false),
  controlled: z.boolean().default(false),
  refrigerated: z.boolean().default(false),
  /** may ride a robot; defaults to no for a controlled drug (and the site policy must allow controlled drugs at all) */
  robotTransportAllowed: z.boolean().optional(),
  /** minutes a refrigerated unit may spend out of the cold in total (time out of refrigeration); default 30 */
  torAllowanceMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .optional(),
});

export const CreateOrderSchema = z.strictObject({
  patientId: uuid('patientId'),
  medicationId: uuid('medicationId'),
  dose: z.strictObject({ amount: z.number().positive(), unit: z.string().min(1).max(16) }),
  route: z.string().min(1).max(32),
  schedule: z.strictObject({
    times: z
      .array(z.iso.datetime({ offset: true, message: 'schedule.times must be ISO 8601 instants' }))
      .min(1)
      .max(48),
    windowMinutes: z.number().int().min(5).max(720).default(60),
  }),
  priority: z.enum(['stat', 'urgent', 'routine']).default('routine'),
  prescriber: z.string().max(64).optional(),
});

export const ReasonSchema = z.strictObject({ reason: z.string().min(3, 'reason is required').max(500) });

export const CreateDeliverySchema = z.strictObject({
  ward: z.string().min(1).max(64),
  stationNodeId: z.string().min(1).max(128).optional(),
});

/** A device id (a registered fridge's). */
const StorageId = (field: string) => z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, `${field}: a registered fridge's device id`);

export const PickSchema = z
  .strictObject({
    orderId: uuid('orderId'),
    barcode: Barcode.optional(),
    /**
     * instead of the barcode: the unit's GS1 data keyed from its printed (human-readable) text;
     * checked exactly as a scan is (drug of the order, expiry present and not passed, unit not picked twice)
     */
    manual: z
      .strictObject({
        gtin: z.string().regex(/^\d{14}$/, 'manual.gtin must be 14 digits'),
        lot: z.string().trim().min(1).max(20).optional(),
        expiry: z.iso.date({ message: 'manual.expiry: the printed expiry as YYYY-MM-DD' }).optional(),
        serial: z.string().trim().min(1).max(20).optional(),
        ...manualReason,
      })
      .optional(),
    /** the fridge the unit was taken from; a refrigerated drug needs one (the pharmacy's only fridge when not named) */
    storageId: StorageId('storageId').optional(),
  })
  .refine((b) => exactlyOne(b.barcode, b.manual), { message: 'send exactly one of barcode (a scan) and manual (keyed from the label)', path: ['barcode'] });

export const CheckSchema = z.strictObject({
  /** a second pharmacist co-signs high-alert drugs (independent double check): badge + PIN or username + password */
  witness: WitnessSchema.optional(),
});

export const LoadSchema = z.strictObject({
  robotId: z.string().min(1).max(64),
  compartments: z.record(z.string().min(1).max(64), z.array(uuid('dose id')).min(1)).refine((c) => Object.keys(c).length > 0, 'at least one compartment'),
});

export const UnlockSchema = z.strictObject({
  compartmentId: z.string().min(1).max(64),
  /** badge + PIN at the robot, instead of the nurse-station session */
  badge: BadgeSchema.optional(),
});

export const ReceiptScanSchema = z
  .strictObject({
    barcode: Barcode.optional(),
    /** instead of the barcode: the dose chosen from the delivery's list; it must be one the scan would accept */
    manual: z.strictObject({ doseId: uuid('manual.doseId'), ...manualReason }).optional(),
    /** the ward fridge the dose goes into; a refrigerated drug needs one (the ward's only fridge when not named) */
    storageId: StorageId('storageId').optional(),
  })
  .refine((b) => exactlyOne(b.barcode, b.manual), { message: 'send exactly one of barcode (a scan) and manual (a chosen dose)', path: ['barcode'] });

export const EscalateSchema = z.strictObject({ courier: z.string().min(2).max(64), reason: z.string().min(3).max(500) });

export const AdministrationSchema = z
  .strictObject({
    wristband: Barcode.optional(),
    dose: Barcode.optional(),
    /**
     * instead of a scan: the patient chosen from the ward's list and/or the dose from the
     * patient's received doses, with one reason; the five rights are checked as for a scan
     */
    manual: z
      .strictObject({ patientId: uuid('manual.patientId').optional(), doseId: uuid('manual.doseId').optional(), ...manualReason })
      .refine((m) => m.patientId !== undefined || m.doseId !== undefined, { message: 'manual names a patientId, a doseId or both', path: ['patientId'] })
      .optional(),
    outcome: z.enum(['given', 'held', 'refused']),
    reason: z.string().min(3).max(500).optional(),
    /** what was actually given (required for `given`): checked against the order, unit-converted, within DOSE_TOLERANCE_PCT */
    given: z
      .strictObject({
        amount: z.number().positive('given.amount must be a positive number').max(1e9),
        unit: z.string().trim().min(1, 'given.unit is required').max(16),
        route: z.string().trim().min(1, 'given.route is required').max(32),
      })
      .optional(),
    /**
     * the part of the unit not given and discarded; a controlled or high-alert drug's waste needs
     * the witness. 0 declares that nothing was left (required of a controlled drug whose unit's
     * content is not known: accountForUnit), and needs no witness
     */
    wasted: z
      .strictObject({
        amount: z.number().nonnegative('wasted.amount must be 0 or more').max(1e9),
        unit: z.string().trim().min(1, 'wasted.unit is required').max(16),
      })
      .optional(),
    /** give despite a failed right; the reason is required and the event is flagged for review */
    override: z.strictObject({ reason: z.string().min(3).max(500) }).optional(),
    /** the second person for a high-alert (or controlled) act: badge + PIN or username + password */
    witness: WitnessSchema.optional(),
  })
  .refine((a) => exactlyOne(a.wristband, a.manual?.patientId), {
    message: 'send exactly one of wristband (a scan) and manual.patientId (a chosen patient)',
    path: ['wristband'],
  })
  .refine((a) => exactlyOne(a.dose, a.manual?.doseId), { message: 'send exactly one of dose (a scan) and manual.doseId (a chosen dose)', path: ['dose'] })
  .refine((a) => a.outcome === 'given' || !!a.reason, { message: 'a held or refused dose needs a reason', path: ['reason'] })
  // the dose and route rights compare what was given with the order: a client that does not say
  // what it gave cannot record a dose as given (older clients get this 400, never a silent pass)
  .refine((a) => a.outcome !== 'given' || !!a.given, {
    message: 'a given dose needs given: { amount, unit, route } (what was actually given)',
    path: ['given'],
  })
  .refine((a) => a.outcome === 'given' || (!a.given && !a.wasted), {
    message: 'given and wasted are recorded only with the outcome given',
    path: ['wasted'],
  });

/** A pharmacist's review of a bedside override. */
export const OVERRIDE_REVIEW_OUTCOMES = ['appropriate', 'inappropriate', 'needs_follow_up'] as const;
export const OverrideReviewSchema = z.strictObject({
  /** appropriate: the override was justified; inappropriate: it was not (an incident to follow up); needs_follow_up: the patient or prescriber must be seen */
  outcome: z.enum(OVERRIDE_REVIEW_OUTCOMES, { message: `outcome must be one of ${OVERRIDE_REVIEW_OUTCOMES.join(', ')}` }),
  note: z.string().trim().min(3, 'note: at least 3 characters').max(1000),
});

export const OverridesQuerySchema = z.strictObject({
  reviewed: z.enum(['true', 'false'], { message: 'reviewed must be true or false' }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const IdParam = uuid('id');
