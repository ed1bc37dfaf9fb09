/**
 * Enforces the route's @WardScope declaration where the path names the thing: after AuthGuard
 * (which attached the user) and before pipes, interceptors and the handler, so another ward's
 * resource is refused 403 `ward_forbidden` whatever the body holds, and before an
 * Idempotency-Key stores anything.
 *
 * Lists (`filtered`) and body-resolved routes (`in_service`) are enforced by their services with
 * the same rule; `none` and `all_wards` need nothing here (PolicyCheck proved the latter at boot).
 */
import { type CanActivate, type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { assertInWardScope, DomainError, seesEveryWard } from '#domain';
import { AlarmsRepository, CommandRepository, CustodyRepository, DevicesRepository, MissionsRepository, SensorRepository } from '#persistence';
import { missionWard } from '../fleet/missions.service.js';
import type { AuthUser } from './auth.decorators.js';
import { WARD_SCOPE, type WardResourceKind, type WardScopeDeclaration } from './ward-scope.decorators.js';

/** A write refused for another ward's resource, as the custody chain records it. */
export interface WardRefusal {
  user: AuthUser;
  method: string;
  /** the route template, e.g. `/api/deliveries/:id/unlock` */
  route: string;
  resource: WardResourceKind | 'ward';
  id: string;
  /** the resource's ward (`null`: a pharmacy-level resource) */
  ward: string | null;
}

/**
 * Writes a refused write on the custody chain (custody/refusals.ts provides it): a nurse who
 * tries to unlock, receive or give on another ward's delivery or dose is a refusal on the
 * record, not only a 403. Reads are not recorded, nor unknown ids (nothing was concerned).
 */
export abstract class WardRefusalRecorder {
  abstract recordWardRefusal(refusal: WardRefusal, err: DomainError): Promise<void>;
}

/** The ward a resource belongs to: a ward id, `null` for pharmacy-level things, `undefined` when the id is unknown. */
type WardOf = (id: string) => Promise<string | null | undefined>;

@Injectable()
export class WardScopeGuard implements CanActivate {
  private readonly resolvers: Record<WardResourceKind, WardOf>;

  constructor(
    private readonly reflector: Reflector,
    custody: CustodyRepository,
    devices: DevicesRepository,
    alarms: AlarmsRepository,
    missions: MissionsRepository,
    sensors: SensorRepository,
    commands: CommandRepository,
    @Optional() private readonly recorder?: WardRefusalRecorder,
  ) {
    const patientWard = async (patientId: string | undefined) => (patientId ? (await custody.patient(patientId))?.ward : undefined);
    const deviceWard = async (id: string) => {
      const d = await devices.findById(id);
      return d ? d.ward : undefined;
    };
    this.resolvers = {
      patient: patientWard,
      dose: async (id) => patientWard((await custody.dose(id))?.patientId),
      order: async (id) => patientWard((await custody.order(id))?.patientId),
      'administration-slot': async (id) => patientWard((await custody.slot(id))?.patientId),
      delivery: async (id) => (await custody.delivery(id))?.ward,
      cabinet: deviceWard,
      sensor: deviceWard,
      device: deviceWard,
      'device-command': async (id) => {
        const c = await commands.findById(id);
        return c ? deviceWard(c.deviceId) : undefined;
      },
      alarm: async (id) => {
        const a = await alarms.findById(id);
        return a ? a.ward : undefined;
      },
      mission: async (id) => {
        const m = await missions.findById(id);
        return m ? missionWard(m) : undefined;
      },
      excursion: async (id) => {
        const e = await sensors.findExcursion(id);
        return e ? e.ward : undefined;
      },
    };
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const scope = this.reflector.getAllAndOverride<WardScopeDeclaration | undefined>(WARD_SCOPE, [ctx.getHandler(), ctx.getClass()]);
    if (!scope || (scope.kind !== 'resource' && scope.kind !== 'ward')) return true;
    const req = ctx.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const user = req.user;
    // public routes carry no ward scope; AuthGuard has refused everything else without a user
    if (!user || seesEveryWard(user)) return true;
    const value = req.params[scope.param];
    // an unknown id answers like another ward's: a nurse cannot tell which ids exist elsewhere
    // (and a missing parameter, which PolicyCheck rules out at boot, refuses rather than admits)
    const ward = typeof value !== 'string' ? undefined : scope.kind === 'ward' ? value : await this.resolvers[scope.resource](value);
    try {
      assertInWardScope(user, ward);
    } catch (err) {
      if (this.recorder && err instanceof DomainError && req.method !== 'GET' && typeof value === 'string' && ward !== undefined) {
        const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
        const resource = scope.kind === 'ward' ? 'ward' : scope.resource;
        await this.recorder.recordWardRefusal({ user, method: req.method, route, resource, id: value, ward }, err);
      }
      throw err;
    }
    return true;
  }
}
