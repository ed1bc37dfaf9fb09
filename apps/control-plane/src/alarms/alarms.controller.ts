import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi.js';
import { z } from 'zod';
import { ALARM_SEVERITIES, ALARM_STATES } from '#domain';
import { READ_ROLES, ACTING_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { Idempotent } from '../common/idempotency.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { AlarmsService, type AlarmView } from './alarms.service.js';

const ListAlarmsQuery = z.strictObject({
  ward: z.string().max(64).optional(),
  state: z.enum([...ALARM_STATES, 'open']).optional(),
  severity: z.enum(ALARM_SEVERITIES).optional(),
  type: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const AlarmId = z.uuid({ message: 'id must be a UUID' });
/** Why the alarm is closed: kept on the alarm (and on the custody ledger for a delivery's alarm). */
const ResolveAlarmBody = z.preprocess(
  (v) => v ?? {},
  z.strictObject({
    reason: z
      .string({ message: 'reason is required: say why the alarm can be closed' })
      .trim()
      .min(1, { message: 'reason must not be empty' })
      .max(500, { message: 'reason must be at most 500 characters' }),
  }),
);

@ApiTags('alarms')
@ApiBearerAuth()
@Controller('api/alarms')
export class AlarmsController {
  constructor(private readonly alarms: AlarmsService) {}

  /** Newest first; nurses see only their wards' alarms. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List alarms, newest first (nurses: their wards only)' })
  @ApiErrors({ forbidden: ['ward_forbidden'] }) // ?ward= of a ward the caller is not assigned to
  @Get()
  @WardScope.filtered('AlarmsService.list queries the alarms of the caller’s wards')
  list(@Query(new ZodPipe(ListAlarmsQuery, 'query')) q: z.infer<typeof ListAlarmsQuery>, @CurrentUser() user: AuthUser): Promise<AlarmView[]> {
    return this.alarms.list(q, user);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one alarm' })
  @Get(':id')
  @WardScope.resource('alarm')
  get(@Param('id', new ZodPipe(AlarmId, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<AlarmView> {
    return this.alarms.get(id, user);
  }

  @Roles(...ACTING_ROLES)
  @ApiOperation({ summary: 'Acknowledge an alarm' })
  @ApiErrors({ forbidden: ['alarm_acknowledge_role_required'], rule: ['illegal_transition'] })
  @Post(':id/acknowledge')
  @WardScope.resource('alarm')
  @HttpCode(200)
  acknowledge(@Param('id', new ZodPipe(AlarmId, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<AlarmView> {
    return this.alarms.acknowledge(id, user);
  }

  /**
   * Closes an alarm whose type clears by a person's decision (the alarm catalogue lists which
   * and by whom), with a reason. 422 for a type that clears by itself, 403 for another role or
   * a nurse of another ward, 409 when it is already cleared.
   */
  @Roles(...ACTING_ROLES)
  @ApiOperation({ summary: 'Close an alarm that clears by a person’s decision, with a reason' })
  @ApiErrors({
    rule: ['alarm_not_resolvable', 'alarm_clears_by_condition', 'illegal_transition'],
    forbidden: ['role_forbidden'],
    conflict: ['alarm_already_cleared'],
  })
  @Post(':id/resolve')
  @WardScope.resource('alarm')
  @Idempotent()
  @HttpCode(200)
  resolve(
    @Param('id', new ZodPipe(AlarmId, 'id')) id: string,
    @Body(new ZodPipe(ResolveAlarmBody)) body: z.infer<typeof ResolveAlarmBody>,
    @CurrentUser() user: AuthUser,
  ): Promise<AlarmView> {
    return this.alarms.resolve(id, body.reason, user);
  }
}
