/**
 * The gate between cabinets and the custody feature: a pocket opens for a removal only when
 * the order it is for was verified by a pharmacist (or the user records an override with a
 * reason). Cabinets do not own orders, so they ask through this interface.
 *
 * Contract for custody: inject `ORDER_VERIFICATION` (exported by CabinetsModule; the value
 * is an `OrderVerificationRegistry`) and either
 *   - call `useLookup(orderId => Promise<boolean>)` once at init to answer from the order
 *     store (preferred: a stopped order stops opening pockets at once), or
 *   - call `markVerified(orderId)` when a pharmacist verifies an order and `forget(orderId)`
 *     when it is stopped, cancelled or completed.
 * Until either happens every order counts as unverified, so removals need an override.
 */
import { Injectable } from '@nestjs/common';

export interface OrderVerification {
  isOrderVerified(orderId: string): Promise<boolean>;
}

export const ORDER_VERIFICATION = Symbol('ORDER_VERIFICATION');

@Injectable()
export class OrderVerificationRegistry implements OrderVerification {
  private readonly verified = new Set<string>();
  private lookup: ((orderId: string) => Promise<boolean>) | null = null;

  useLookup(lookup: (orderId: string) => Promise<boolean>): void {
    this.lookup = lookup;
  }

  markVerified(orderId: string): void {
    this.verified.add(orderId);
  }

  forget(orderId: string): void {
    this.verified.delete(orderId);
  }

  async isOrderVerified(orderId: string): Promise<boolean> {
    if (this.lookup) return this.lookup(orderId);
    return this.verified.has(orderId);
  }
}
