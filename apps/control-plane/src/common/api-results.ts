/**
 * Zod schemas of HTTP answers whose views are TypeScript interfaces, for the OpenAPI document
 * (`@ApiResult`). Each is bound to its interface both ways at compile time (`sameShape`), so a
 * field added to the view without the schema, or the other way round, fails `tsc`.
 */
import { z } from 'zod';
import { USER_ROLES } from '#persistence';
import type { LoginResult } from '../auth/auth.service.js';
import type { SessionView } from '../auth/sessions.service.js';
import type { UserView } from '../users/users.service.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when the schema's output is exactly T. */
const sameShape =
  <T>() =>
  <S extends z.ZodType>(schema: S, ..._proof: Same<z.output<S>, T> extends true ? [] : [never]): S =>
    schema;

const iso = z.string().meta({ description: 'ISO 8601 timestamp' });

export const UserViewSchema = sameShape<UserView>()(
  z.object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(USER_ROLES),
    wards: z.array(z.string()),
    disabled: z.boolean(),
    createdAt: iso,
  }),
);

export const LoginResultSchema = sameShape<LoginResult>()(
  z.object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().meta({ description: 'seconds the access token lives: refresh before then' }),
    refreshToken: z.string().meta({ description: 'rotates at every use (POST /api/auth/refresh); each is good once' }),
    sessionExpiresAt: iso,
    sessionId: z.string(),
    user: z.object({
      id: z.string(),
      username: z.string(),
      role: z.enum(USER_ROLES),
      wards: z.array(z.string()),
      sessionId: z.string().optional(),
      sessionExpiresAt: z.string().optional(),
    }),
  }),
);

export const SessionViewSchema = sameShape<SessionView>()(
  z.object({
    id: z.string(),
    createdAt: iso,
    refreshedAt: iso,
    expiresAt: iso,
    address: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean(),
  }),
);

export const EndedSchema = z.object({ ended: z.int().min(0).meta({ description: 'sessions ended' }) });
export const UnlockedSchema = z.object({ unlocked: z.int().min(0).meta({ description: 'locks lifted' }) });
