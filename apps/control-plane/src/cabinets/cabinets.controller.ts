import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import type { CommandView } from '../device-protocol/device-commands.service.js';
import { CabinetIdParam, type ConfigurePocket, ConfigurePocketSchema, LedgerQuery, LockdownSchema, PocketIdParam } from './cabinet.dto.js';
import { CabinetsService, type CabinetView, type PocketView } from './cabinets.service.js';

@ApiTags('cabinets')
@ApiBearerAuth()
@Controller('api/cabinets')
export class CabinetsController {
  constructor(private readonly cabinets: CabinetsService) {}

  /** Every smart cabinet with its live state (nurses: their wards only). */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List smart cabinets with their live state (nurses: their wards only)' })
  @Get()
  @WardScope.filtered('CabinetsService.list keeps the cabinets of the caller’s wards')
  list(@CurrentUser() user: AuthUser): Promise<CabinetView[]> {
    return this.cabinets.list(user);
  }

  /** One cabinet with its pockets (lock state, medication, stock — counts hidden from nurses). */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one cabinet with its pockets' })
  @Get(':id')
  @WardScope.resource('cabinet')
  get(@Param('id', new ZodPipe(CabinetIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<CabinetView & { pockets: PocketView[] }> {
    return this.cabinets.get(id, user);
  }

  /** The append-only inventory ledger, newest first. */
  @Roles('admin', 'pharmacist', 'ward_pharmacist', 'safety_officer')
  @ApiOperation({ summary: 'Read a cabinet’s inventory ledger, newest first' })
  @Get(':id/ledger')
  @WardScope.resource('cabinet')
  ledger(
    @Param('id', new ZodPipe(CabinetIdParam, 'id')) id: string,
    @Query(new ZodPipe(LedgerQuery, 'query')) q: z.infer<typeof LedgerQuery>,
    @CurrentUser() user: AuthUser,
  ): Promise<Record<string, unknown>[]> {
    return this.cabinets.ledgerOf(id, q, user);
  }

  /** Commands sent to the cabinet and their outcome (pending, done, refused, failed, timed_out). */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List the commands sent to a cabinet and their outcome' })
  @Get(':id/commands')
  @WardScope.resource('cabinet')
  commands(@Param('id', new ZodPipe(CabinetIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<CommandView[]> {
    return this.cabinets.commandsOf(id, user);
  }

  /** What a pocket holds (GTIN, name, controlled, par level); its stock and ledger are kept. */
  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Configure what a pocket holds' })
  @Put(':id/pockets/:pocketId')
  @WardScope.resource('cabinet')
  @ApiBody({ schema: jsonSchema(ConfigurePocketSchema) })
  configure(
    @Param('id', new ZodPipe(CabinetIdParam, 'id')) id: string,
    @Param('pocketId', new ZodPipe(PocketIdParam, 'pocketId')) pocketId: string,
    @Body(new ZodPipe(ConfigurePocketSchema)) body: ConfigurePocket,
    @CurrentUser() user: AuthUser,
  ): Promise<PocketView> {
    return this.cabinets.configurePocket(id, pocketId, body, user);
  }

  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Lock a cabinet down, with a reason' })
  @Post(':id/lockdown')
  @WardScope.resource('cabinet')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(LockdownSchema) })
  lockdown(
    @Param('id', new ZodPipe(CabinetIdParam, 'id')) id: string,
    @Body(new ZodPipe(LockdownSchema)) body: z.infer<typeof LockdownSchema>,
    @CurrentUser() user: AuthUser,
  ): Promise<CommandView> {
    return this.cabinets.lockdown(id, body.reason, user);
  }

  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Release a cabinet’s lockdown' })
  @Post(':id/release-lockdown')
  @WardScope.resource('cabinet')
  @HttpCode(200)
  release(@Param('id', new ZodPipe(CabinetIdParam, 'id')) id: string, @CurrentUser() user: AuthUser): Promise<CommandView> {
    return this.cabinets.lockdown(id, null, user);
  }
}
