/**
 * The real robot behind a loading or a dispatch: summarises what the control plane last heard
 * of it (VDA 5050 connection, state, factsheet) and the compartments other deliveries still
 * hold aboard it, for the domain's loading checks (libs/domain custody/loading-checks.ts), and
 * runs them. Reads only; it moves nothing.
 */
import { Injectable } from '@nestjs/common';
import { readCompartments } from '#contracts';
import {
  assertCompartmentsLoadable,
  assertRobotCanTakeDelivery,
  capabilityOf,
  type CompartmentRequest,
  type CompartmentReservation,
  type LoadingRobot,
} from '#domain';
import type { CustodyTx } from '#persistence';
import { RobotStateService } from '../fleet/robot-state.service.js';
import { SiteService } from '../site/site.service.js';
import { PHARMACY_DOCK_KIND } from './access.js';

/**
 * Delivery states whose doses may still sit in the robot's compartments. `failed` is one: a
 * failed mission may still hold doses until a courier takes them or the robot brings them back.
 */
const HOLDS_COMPARTMENTS = ['loaded', 'dispatched', 'in_transit', 'arrived', 'unlocked', 'recalled', 'returning', 'failed'];

/** How far (m) a robot without a `lastNodeId` may stand from a node and still be at it. */
const AT_NODE_M = 0.5;

@Injectable()
export class RobotLoadingGate {
  constructor(
    private readonly robots: RobotStateService,
    private readonly site: SiteService,
  ) {}

  /** The nodes robots load at. */
  dockNodeIds(): string[] {
    return this.site.graph.nodesOfKind(PHARMACY_DOCK_KIND).map((n) => n.id);
  }

  /** Online, at the dock, able to run a delivery's actions: checked at loading and again at dispatch. */
  assertCanTakeDelivery(robotId: string): void {
    assertRobotCanTakeDelivery(this.summary(robotId), this.dockNodeIds());
  }

  /**
   * Everything loading needs of the robot, inside the loading's custody transaction: custody
   * writes are serialised, so two pharmacists cannot both claim the same compartment.
   * Answers the robot as checked (its compartments say which are refrigerated).
   */
  async assertLoadable(tx: CustodyTx, robotId: string, deliveryId: string, requests: readonly CompartmentRequest[]): Promise<LoadingRobot> {
    const robot = this.summary(robotId);
    assertRobotCanTakeDelivery(robot, this.dockNodeIds());
    const reservations: CompartmentReservation[] = (await tx.deliveriesOfRobot(robotId, HOLDS_COMPARTMENTS))
      .filter((d) => d.id !== deliveryId)
      .flatMap((d) => Object.keys(d.compartments).map((compartmentId) => ({ deliveryId: d.id, state: d.state, compartmentId })));
    assertCompartmentsLoadable(robot, requests, reservations);
    return robot;
  }

  summary(robotId: string): LoadingRobot {
    const live = this.robots.get(robotId);
    const state = live?.state ?? null;
    // read as dispatch reads it: a 2.0 factsheet is schema-checked only at its top level
    const capability = live?.factsheet ? capabilityOf(live.factsheet) : null;
    return {
      robotId,
      online: live?.connection === 'ONLINE' && !live.stale,
      hasState: state !== null,
      nodeId: live ? this.nodeOf(live.state?.lastNodeId, live.position) : null,
      driving: state?.driving ?? false,
      compartments: state ? readCompartments(state) : [],
      factsheetActions: capability ? [...capability.actions] : null,
      factsheetScopes: capability?.scopes,
    };
  }

  /** The robot's `lastNodeId` when the site knows it, else the node its position is on. */
  private nodeOf(lastNodeId: string | undefined, position: { mapId: string; x: number; y: number; positionInitialized?: boolean } | null): string | null {
    const graph = this.site.graph;
    if (lastNodeId && graph.hasNode(lastNodeId)) return lastNodeId;
    if (!position || position.positionInitialized === false) return null;
    try {
      const near = graph.nearestNode(position.mapId, position.x, position.y);
      return near && near.distanceM <= AT_NODE_M ? near.node.id : null;
    } catch {
      return null; // a map the site does not know
    }
  }
}
