/**
 * What the second person of a two-person act presents, in the same request as the act: their
 * badge + PIN or their username + password. Never a bearer token: a token is a session anyone
 * holding it can replay, not proof that its owner is standing there now.
 */
import { z } from 'zod';
import { isValidGs1CheckDigit } from '#domain';

export const BadgeSchema = z.strictObject({
  gsrn: z
    .string()
    .regex(/^\d{18}$/, 'must be the 18-digit GSRN on the staff badge')
    .refine((v) => isValidGs1CheckDigit(v), 'has a wrong GS1 check digit'),
  pin: z.string().regex(/^\d{4,8}$/, 'must be 4 to 8 digits'),
});
export type BadgeInput = z.output<typeof BadgeSchema>;

export type WitnessCredentials = { readonly badge: BadgeInput } | { readonly username: string; readonly password: string };

/**
 * `{ badge: { gsrn, pin } }` or `{ username, password }`. One strict object rather than a
 * union, so a wrong field is named (`witness.badge.pin: …`, `witness: Unrecognized key:
 * "token"`) instead of zod's "no union member matched".
 */
export const WitnessSchema = z
  .strictObject({
    badge: BadgeSchema.optional(),
    username: z.string().min(1).max(64).optional(),
    password: z.string().min(1).max(256).optional(),
  })
  .superRefine((w, ctx) => {
    const named = w.username !== undefined || w.password !== undefined;
    if (w.badge && named) ctx.addIssue({ code: 'custom', path: ['badge'], message: 'a badge or a username and password, not both' });
    else if (!w.badge && w.username === undefined)
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'a badge { gsrn, pin } or a username and password' });
    else if (!w.badge && w.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'the witness password is required' });
  })
  .transform((w): WitnessCredentials => (w.badge ? { badge: w.badge } : { username: w.username!, password: w.password! }));
