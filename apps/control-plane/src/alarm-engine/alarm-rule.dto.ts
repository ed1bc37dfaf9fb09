import type { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { ALARM_SEVERITIES, COMPARATORS } from '#domain';
import { ZodPipe } from '../common/zod.pipe.js';

export const SENSOR_TYPES = ['fridge', 'freezer', 'room'] as const;
export type SensorType = (typeof SENSOR_TYPES)[number];
export const RULE_DEVICE_KINDS = ['sensor', 'cabinet'] as const;

/** An alarm rule as the REST API takes it (ids are chosen by the author: stable, readable). */
export const AlarmRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'id must be 1-64 characters of a-z 0-9 . _ - (lower case)'),
    deviceKind: z.enum(RULE_DEVICE_KINDS),
    /** sensors only: which kind of sensor; omitted = every sensor */
    sensorType: z.enum(SENSOR_TYPES).optional(),
    /** ward id; omitted = every ward */
    ward: z.string().min(1).max(64).optional(),
    metric: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'metric must be an identifier, e.g. temperatureC'),
    comparator: z.enum(COMPARATORS),
    threshold: z.union([z.number(), z.boolean()]),
    durationS: z.number().min(0).max(86_400).default(0),
    hysteresis: z.number().min(0).max(100).default(0),
    severity: z.enum(ALARM_SEVERITIES),
    staleAfterS: z
      .number()
      .positive()
      .max(7 * 86_400)
      .optional(),
    message: z.string().min(1).max(200).optional(),
    enabled: z.boolean().default(true),
  })
  .refine((r) => r.deviceKind === 'sensor' || r.sensorType === undefined, { path: ['sensorType'], message: 'sensorType applies to sensors only' })
  .refine((r) => typeof r.threshold === 'number' || r.comparator === 'eq' || r.comparator === 'neq', {
    path: ['comparator'],
    message: 'a boolean threshold needs comparator eq or neq',
  });

export type AlarmRuleInput = z.infer<typeof AlarmRuleSchema>;

/** POST /api/alarm-rules takes one rule or a list (each created or replaced by id). */
export const SaveAlarmRulesSchema = z.union([AlarmRuleSchema, z.array(AlarmRuleSchema).min(1).max(200)]);

/** Parses one rule or a list into a list; errors name the field (`comparator`, `[2].threshold`), not the union. */
export class SaveAlarmRulesPipe implements PipeTransform<unknown, AlarmRuleInput[]> {
  private readonly one = new ZodPipe(AlarmRuleSchema);
  private readonly many = new ZodPipe(z.array(AlarmRuleSchema).min(1).max(200));

  transform(value: unknown): AlarmRuleInput[] {
    return Array.isArray(value) ? this.many.transform(value) : [this.one.transform(value)];
  }
}

export const AlarmRuleIdParam = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'id must be an alarm rule id');
