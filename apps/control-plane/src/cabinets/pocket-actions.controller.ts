import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ApiErrors, jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import type { CommandView } from '../device-protocol/device-commands.service.js';
import {
  CabinetIdParam,
  CancelRemoveSchema,
  CountPromptQuery,
  CountSchema,
  PocketIdParam,
  RemoveSchema,
  RequestCountSchema,
  RestockSchema,
  ReturnSchema,
  WasteSchema,
  type CountInput,
  type RemoveInput,
  type RestockInput,
  type ReturnInput,
  type WasteInput,
} from './cabinet.dto.js';
import { PocketAccessService, type PocketActionResult } from './pocket-access.service.js';
import type { PocketRecord } from './pocket-ledger.service.js';
import { PocketRecordsService } from './pocket-records.service.js';
import { Idempotent } from '../common/idempotency.js';

const cabinet = () => new ZodPipe(CabinetIdParam, 'id');
const pocket = () => new ZodPipe(PocketIdParam, 'pocketId');

/** Pocket inventory acts. Opening a pocket needs the cabinet's ward (nurses) or a pharmacist/admin. */
@ApiTags('cabinets')
@ApiBearerAuth()
@Idempotent()
@Controller('api/cabinets/:id/pockets/:pocketId')
@WardScope.resource('cabinet')
export class PocketActionsController {
  constructor(
    private readonly access: PocketAccessService,
    private readonly records: PocketRecordsService,
  ) {}

  /** Unlocks the pocket for a removal: needs a verified order (orderId) or an override with a reason. */
  @Roles('nurse', 'pharmacist', 'admin')
  @ApiOperation({ summary: 'Unlock a pocket for a removal (verified order or override)' })
  @ApiErrors({
    not_found: ['cabinet_not_found', 'pocket_not_found'],
    rule: ['order_not_verified', 'cold_chain_quarantine', 'insufficient_stock', 'unknown_lot', 'lot_expired', 'lot_recalled', 'reason_required'],
    conflict: ['unlock_refused', 'unlock_failed', 'ledger_conflict'],
    unavailable: ['command_timed_out'],
  })
  @Post('remove')
  @ApiBody({ schema: jsonSchema(RemoveSchema) })
  remove(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Body(new ZodPipe(RemoveSchema)) body: RemoveInput,
    @CurrentUser() user: AuthUser,
  ): Promise<PocketActionResult> {
    return this.access.remove(id, pocketId, body, user);
  }

  @Roles('nurse', 'pharmacist', 'admin')
  @ApiOperation({ summary: 'Cancel a removal that was not taken' })
  @ApiErrors({
    not_found: ['cabinet_not_found', 'pocket_not_found'],
    rule: ['cold_chain_quarantine', 'unknown_removal', 'removal_already_settled', 'cancel_window_elapsed', 'cancel_by_other_user'],
    conflict: ['unlock_refused', 'unlock_failed', 'ledger_conflict'],
    unavailable: ['command_timed_out'],
  })
  @Post('cancel-remove')
  @ApiBody({ schema: jsonSchema(CancelRemoveSchema) })
  cancelRemove(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Body(new ZodPipe(CancelRemoveSchema)) body: z.infer<typeof CancelRemoveSchema>,
    @CurrentUser() user: AuthUser,
  ): Promise<PocketActionResult> {
    return this.access.cancelRemove(id, pocketId, body.removalId, user);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Restock a pocket' })
  @ApiErrors({
    not_found: ['cabinet_not_found', 'pocket_not_found'],
    rule: ['cold_chain_quarantine', 'lot_expiry_mismatch', 'lot_expired', 'lot_recalled'],
    conflict: ['unlock_refused', 'unlock_failed', 'ledger_conflict'],
    unavailable: ['command_timed_out'],
  })
  @Post('restock')
  @ApiBody({ schema: jsonSchema(RestockSchema) })
  restock(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Body(new ZodPipe(RestockSchema)) body: RestockInput,
    @CurrentUser() user: AuthUser,
  ): Promise<PocketActionResult> {
    return this.access.restock(id, pocketId, body, user);
  }

  /** Waste: of a removed dose (removalId, nothing opens) or of pocket stock (the pocket opens). Controlled drugs need a witness. */
  @Roles('nurse', 'pharmacist', 'admin')
  @ApiOperation({ summary: 'Record waste, of a removed dose or of pocket stock' })
  @ApiErrors({
    not_found: ['cabinet_not_found', 'pocket_not_found'],
    rule: [
      'cold_chain_quarantine',
      'insufficient_stock',
      'unknown_lot',
      'unknown_removal',
      'removal_already_settled',
      'witness_required',
      'witness_same_as_actor',
      'witness_not_authenticated',
      'adjustment_lot_required',
    ],
    conflict: ['unlock_refused', 'unlock_failed', 'ledger_conflict'],
    unavailable: ['command_timed_out'],
  })
  @Post('waste')
  @ApiBody({ schema: jsonSchema(WasteSchema) })
  waste(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Body(new ZodPipe(WasteSchema)) body: WasteInput,
    @CurrentUser() user: AuthUser,
    @Ip() ip: string,
  ): Promise<PocketActionResult | PocketRecord> {
    return body.removalId
      ? this.records.wasteRemoved(id, pocketId, { ...body, removalId: body.removalId }, user, ip)
      : this.access.wasteFromStock(id, pocketId, body, user, ip);
  }

  /** Returns go to the cabinet's return bin for pharmacy verification, never back into the pocket. */
  @Roles('nurse', 'pharmacist', 'admin')
  @ApiOperation({ summary: 'Return a unit to the cabinet’s return bin' })
  @ApiErrors({
    not_found: ['cabinet_not_found', 'pocket_not_found'],
    rule: [
      'cold_chain_quarantine',
      'return_to_original_pocket',
      'return_must_go_to_bin',
      'unknown_lot',
      'unknown_removal',
      'removal_already_settled',
      'insufficient_stock',
    ],
  })
  @Post('return')
  @ApiBody({ schema: jsonSchema(ReturnSchema) })
  returnToBin(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Body(new ZodPipe(ReturnSchema)) body: ReturnInput,
    @CurrentUser() user: AuthUser,
  ): Promise<PocketRecord> {
    return this.records.returnToBin(id, pocketId, body, user);
  }

  /** Before a count: the expected quantity is withheld (always for nurses). */
  @Roles('nurse', 'pharmacist', 'admin')
  @ApiOperation({ summary: 'Get the prompt for counting a pocket (expected quantity withheld when blind)' })
  @ApiErrors({ not_found: ['cabinet_not_found', 'pocket_not_found'], rule: ['cold_chain_quarantine'] })
  @Get('count')
  countPrompt(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Query(new ZodPipe(CountPromptQuery, 'query')) q: z.infer<typeof CountPromptQuery>,
    @CurrentUser() user: AuthUser,
  ) {
    return this.records.countPrompt(id, pocketId, q.blind === 'true', user);
  }

  /** A count entered at the station; a mismatch opens a discrepancy. */
  @Roles('nurse', 'pharmacist', 'admin')
  @ApiOperation({ summary: 'Enter a pocket count (a mismatch opens a discrepancy)' })
  @ApiErrors({ not_found: ['cabinet_not_found', 'pocket_not_found'], rule: ['cold_chain_quarantine', 'unknown_lot'] })
  @Post('count')
  @ApiBody({ schema: jsonSchema(CountSchema) })
  count(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Body(new ZodPipe(CountSchema)) body: CountInput,
    @CurrentUser() user: AuthUser,
  ): Promise<PocketRecord> {
    return this.records.count(id, pocketId, body, user);
  }

  /** Asks the cabinet to prompt a count at the pocket (the count arrives from the cabinet). */
  @Roles('nurse', 'pharmacist', 'admin')
  @ApiOperation({ summary: 'Ask the cabinet to prompt a count at a pocket' })
  @ApiErrors({
    not_found: ['cabinet_not_found', 'pocket_not_found'],
    rule: ['cold_chain_quarantine'],
    conflict: ['count_refused', 'count_failed'],
    unavailable: ['command_timed_out'],
  })
  @Post('count-request')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(RequestCountSchema) })
  requestCount(
    @Param('id', cabinet()) id: string,
    @Param('pocketId', pocket()) pocketId: string,
    @Body(new ZodPipe(RequestCountSchema)) body: z.infer<typeof RequestCountSchema>,
    @CurrentUser() user: AuthUser,
  ): Promise<CommandView> {
    return this.records.requestCount(id, pocketId, body.blind, user);
  }
}
