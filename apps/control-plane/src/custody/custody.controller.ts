/**
 * Closed-loop custody REST API: formulary and patients, orders and the pharmacist gate,
 * deliveries (pharmacy and ward sides), bedside administration, and the audit trail.
 * Each handler makes one call; rules live in the services and libs/domain.
 */
import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { READ_ROLES, type AuthUser, CurrentUser, Roles } from '../common/auth.decorators.js';
import { WardScope } from '../common/ward-scope.decorators.js';
import { ApiErrors, jsonSchema } from '../common/openapi.js';
import { ZodPipe } from '../common/zod.pipe.js';
import { BedsideService } from './bedside.service.js';
import { CatalogService } from './catalog.service.js';
import {
  AdministrationSchema,
  CheckSchema,
  CreateDeliverySchema,
  CreateMedicationSchema,
  CreateOrderSchema,
  CreatePatientSchema,
  EscalateSchema,
  IdParam,
  LoadSchema,
  PickSchema,
  ReasonSchema,
  ReceiptScanSchema,
  UnlockSchema,
} from './custody.dto.js';
import { DeliveryPharmacyService } from './delivery-pharmacy.service.js';
import { DeliveryWardService } from './delivery-ward.service.js';
import { OrdersService } from './orders.service.js';
import { CustodyOrderStopService } from './order-stop.service.js';
import { Idempotent } from '../common/idempotency.js';

const id = () => new ZodPipe(IdParam, 'id');
const body = <S extends z.ZodType>(s: S) => new ZodPipe(s);

@ApiTags('custody')
@ApiBearerAuth()
@Idempotent()
@Controller('api')
export class CustodyController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly orders: OrdersService,
    private readonly stopper: CustodyOrderStopService,
    private readonly pharmacy: DeliveryPharmacyService,
    private readonly ward: DeliveryWardService,
    private readonly bedside: BedsideService,
  ) {}

  // ---- formulary and patients
  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Add a medication to the formulary' })
  @Post('medications')
  @WardScope.none('the formulary: not ward data')
  @ApiBody({ schema: jsonSchema(CreateMedicationSchema) })
  createMedication(@Body(body(CreateMedicationSchema)) b: z.infer<typeof CreateMedicationSchema>) {
    return this.catalog.createMedication(b);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List the formulary' })
  @Get('medications')
  @WardScope.none('the formulary: not ward data')
  medications() {
    return this.catalog.medications();
  }

  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Admit a patient' })
  @Post('patients')
  @WardScope.allWards('admits a patient to the ward the body names: pharmacy roles')
  @ApiBody({ schema: jsonSchema(CreatePatientSchema) })
  createPatient(@Body(body(CreatePatientSchema)) b: z.infer<typeof CreatePatientSchema>) {
    return this.catalog.createPatient(b);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List patients (nurses: their wards only)' })
  @ApiErrors({ forbidden: ['ward_forbidden'] }) // ?ward= of a ward the caller is not assigned to
  @Get('patients')
  @WardScope.filtered('CatalogService.patients keeps the patients of the caller’s wards')
  patients(@Query('ward', new ZodPipe(z.string().max(64).optional(), 'ward')) ward: string | undefined, @CurrentUser() u: AuthUser) {
    return this.catalog.patients(u, ward);
  }

  /** A patient's doses and administration slots (due, given, held, refused, missed). */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get a patient’s doses and administration slots' })
  @Get('patients/:id/medication')
  @WardScope.resource('patient')
  patientMedication(@Param('id', id()) pid: string, @CurrentUser() u: AuthUser) {
    return this.catalog.patientMedication(pid, u);
  }

  /** Doses by custody state, e.g. `?state=quarantined,receipt_discrepancy,lost` for the exception list. */
  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List doses by custody state' })
  @Get('doses')
  @WardScope.filtered('CatalogService.dosesInStates keeps the doses of the caller’s wards’ patients')
  doses(
    @Query(
      new ZodPipe(
        z.strictObject({ state: z.string().regex(/^[a-z_]+(,[a-z_]+)*$/, 'state: comma-separated dose states'), ward: z.string().max(64).optional() }),
        'query',
      ),
    )
    q: { state: string; ward?: string },
    @CurrentUser() u: AuthUser,
  ) {
    return this.catalog.dosesInStates(q.state.split(','), u, q.ward);
  }

  // ---- orders
  @Roles('admin', 'pharmacist')
  @ApiOperation({ summary: 'Create a medication order' })
  @Post('orders')
  @WardScope.allWards('an order for the patient the body names: pharmacy roles')
  @ApiBody({ schema: jsonSchema(CreateOrderSchema) })
  createOrder(@Body(body(CreateOrderSchema)) b: z.infer<typeof CreateOrderSchema>, @CurrentUser() u: AuthUser) {
    return this.orders.create(b, u);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List medication orders' })
  @Get('orders')
  @WardScope.filtered('OrdersService.list keeps the orders of the caller’s wards’ patients')
  listOrders(
    @Query(new ZodPipe(z.strictObject({ status: z.string().max(24).optional(), patientId: z.uuid().optional() }), 'query'))
    q: {
      status?: string;
      patientId?: string;
    },
    @CurrentUser() u: AuthUser,
  ) {
    return this.orders.list(u, q.status, q.patientId);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one medication order' })
  @Get('orders/:id')
  @WardScope.resource('order')
  getOrder(@Param('id', id()) oid: string, @CurrentUser() u: AuthUser) {
    return this.orders.get(oid, u);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Verify an order (pharmacist)' })
  @Post('orders/:id/verify')
  @WardScope.resource('order')
  @HttpCode(200)
  verify(@Param('id', id()) oid: string, @CurrentUser() u: AuthUser) {
    return this.orders.verify(oid, u);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Reject an order, with a reason' })
  @Post('orders/:id/reject')
  @WardScope.resource('order')
  @HttpCode(200)
  reject(@Param('id', id()) oid: string, @Body(body(ReasonSchema)) b: z.infer<typeof ReasonSchema>, @CurrentUser() u: AuthUser) {
    return this.orders.reject(oid, b.reason, u);
  }

  /** Stops an order; a delivery carrying its doses is recalled to the pharmacy. */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Stop an order (a delivery carrying its doses is recalled)' })
  @Post('orders/:id/stop')
  @WardScope.resource('order')
  @HttpCode(200)
  stop(@Param('id', id()) oid: string, @Body(body(ReasonSchema)) b: z.infer<typeof ReasonSchema>, @CurrentUser() u: AuthUser) {
    return this.stopper.stop(oid, b.reason, u);
  }

  // ---- deliveries: pharmacy side
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Create a delivery' })
  @Post('deliveries')
  @WardScope.allWards('a delivery to the ward the body names: pharmacy roles')
  @ApiBody({ schema: jsonSchema(CreateDeliverySchema) })
  createDelivery(@Body(body(CreateDeliverySchema)) b: z.infer<typeof CreateDeliverySchema>, @CurrentUser() u: AuthUser) {
    return this.pharmacy.create(b.ward, b.stationNodeId, u);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'List deliveries' })
  @Get('deliveries')
  @WardScope.filtered('DeliveryPharmacyService.list keeps the deliveries to the caller’s wards')
  deliveries(
    @Query(new ZodPipe(z.strictObject({ ward: z.string().max(64).optional(), state: z.string().max(24).optional() }), 'query'))
    q: {
      ward?: string;
      state?: string;
    },
    @CurrentUser() u: AuthUser,
  ) {
    return this.pharmacy.list(q.ward, q.state, u);
  }

  @Roles(...READ_ROLES)
  @ApiOperation({ summary: 'Get one delivery' })
  @Get('deliveries/:id')
  @WardScope.resource('delivery')
  delivery(@Param('id', id()) did: string, @CurrentUser() u: AuthUser) {
    return this.pharmacy.get(did, u);
  }

  /** Scans a picked unit (GS1 DataMatrix) into the delivery for an order. */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Scan a picked unit into a delivery' })
  @Post('deliveries/:id/picks')
  @WardScope.resource('delivery')
  @ApiBody({ schema: jsonSchema(PickSchema) })
  pick(@Param('id', id()) did: string, @Body(body(PickSchema)) b: z.infer<typeof PickSchema>, @CurrentUser() u: AuthUser) {
    return this.pharmacy.pick(did, b.orderId, b, u, b.storageId);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Check a delivery’s picks (second person)' })
  @Post('deliveries/:id/check')
  @WardScope.resource('delivery')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(CheckSchema) })
  check(@Param('id', id()) did: string, @Body(body(CheckSchema)) b: z.infer<typeof CheckSchema>, @CurrentUser() u: AuthUser, @Ip() ip: string) {
    return this.pharmacy.check(did, b.witness, u, ip);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Load a delivery into a robot’s compartments' })
  @ApiErrors({
    rule: [
      'illegal_transition',
      'dose_not_checked',
      'robot_missing_actions',
      'robot_capabilities_unknown',
      'compartment_unknown',
      'compartment_not_refrigerated',
    ],
    conflict: ['robot_unreachable', 'robot_not_at_dock', 'compartment_occupied', 'compartment_reserved', 'medication_unknown'],
  })
  @Post('deliveries/:id/load')
  @WardScope.resource('delivery')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(LoadSchema) })
  load(@Param('id', id()) did: string, @Body(body(LoadSchema)) b: z.infer<typeof LoadSchema>, @CurrentUser() u: AuthUser) {
    return this.pharmacy.load(did, b.robotId, b.compartments, u);
  }

  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Dispatch a loaded delivery' })
  @Post('deliveries/:id/dispatch')
  @WardScope.resource('delivery')
  @HttpCode(200)
  dispatch(@Param('id', id()) did: string, @CurrentUser() u: AuthUser) {
    return this.pharmacy.dispatch(did, u);
  }

  /** Robot failure: a named courier takes custody of the doses. */
  @Roles('pharmacist', 'admin')
  @ApiOperation({ summary: 'Hand a delivery to a named courier (robot failure)' })
  @Post('deliveries/:id/escalate')
  @WardScope.resource('delivery')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(EscalateSchema) })
  escalate(@Param('id', id()) did: string, @Body(body(EscalateSchema)) b: z.infer<typeof EscalateSchema>, @CurrentUser() u: AuthUser) {
    return this.pharmacy.escalate(did, b.courier, b.reason, u);
  }

  // ---- deliveries: ward side
  /** A nurse of the destination ward opens one compartment (session, or badge + PIN). */
  @Roles('nurse', 'admin')
  @ApiOperation({ summary: 'Open a delivery compartment on the destination ward' })
  @Post('deliveries/:id/unlock')
  @WardScope.resource('delivery')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(UnlockSchema) })
  unlock(@Param('id', id()) did: string, @Body(body(UnlockSchema)) b: z.infer<typeof UnlockSchema>, @CurrentUser() u: AuthUser, @Ip() ip: string) {
    return this.ward.unlock(did, b.compartmentId, b.badge, u, ip);
  }

  @Roles('nurse', 'admin')
  @ApiOperation({ summary: 'Scan a received unit at the ward' })
  @Post('deliveries/:id/receipt')
  @WardScope.resource('delivery')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(ReceiptScanSchema) })
  receive(@Param('id', id()) did: string, @Body(body(ReceiptScanSchema)) b: z.infer<typeof ReceiptScanSchema>, @CurrentUser() u: AuthUser) {
    return this.ward.receive(did, b, u, b.storageId);
  }

  @Roles('nurse', 'admin')
  @ApiOperation({ summary: 'Complete a delivery’s receipt' })
  @Post('deliveries/:id/receipt/complete')
  @WardScope.resource('delivery')
  @HttpCode(200)
  complete(@Param('id', id()) did: string, @CurrentUser() u: AuthUser) {
    return this.ward.complete(did, u);
  }

  // ---- bedside
  @Roles('nurse', 'admin')
  @ApiOperation({ summary: 'Record an administration at the bedside' })
  @ApiErrors({
    rule: [
      'unknown_wristband',
      'dose_not_received',
      'order_not_active',
      'product_expired',
      'wrong_patient',
      'five_rights_failed',
      'dose_quarantined',
      'cold_chain_quarantine',
      'cold_chain_time_out_exceeded',
      'illegal_transition',
    ],
  })
  @Post('administrations')
  @WardScope.inService('BedsideService.administer: the ward of the patient the scanned wristband names')
  @ApiBody({ schema: jsonSchema(AdministrationSchema) })
  administer(@Body(body(AdministrationSchema)) b: z.infer<typeof AdministrationSchema>, @CurrentUser() u: AuthUser, @Ip() ip: string) {
    return this.bedside.administer(b, u, ip);
  }
  // the override review list and the review itself: administrations.controller.ts
}
