/** Stopping an order, with its cascade: the order and its doses first, then any recall. */
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth.decorators.js';
import { userActor } from './access.js';
import { DeliveryTrackingService } from './delivery-tracking.service.js';
import { OrdersService } from './orders.service.js';

@Injectable()
export class CustodyOrderStopService {
  constructor(
    private readonly orders: OrdersService,
    private readonly tracking: DeliveryTrackingService,
  ) {}

  async stop(orderId: string, reason: string, user: AuthUser) {
    const { order, recall } = await this.orders.stop(orderId, reason, user);
    for (const deliveryId of recall) await this.tracking.recall(deliveryId, `order ${orderId} stopped: ${reason}`, userActor(user));
    return { ...order, recalledDeliveries: recall };
  }
}
