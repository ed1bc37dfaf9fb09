/**
 * Who is talking to the broker. Authorization always follows the authenticated principal,
 * never the MQTT client id (which devices choose freely).
 */
import type { MedloopDeviceKind } from '#contracts';

export type AclAction = 'publish' | 'subscribe';

/** One explicit rule of an integration principal; deny rules win over allow rules. */
export interface AclRule {
  effect: 'allow' | 'deny';
  action: AclAction | 'both';
  /** an MQTT topic filter (`+` and `#` allowed) */
  pattern: string;
}

export type Principal =
  | { type: 'internal' }
  | {
      type: 'robot';
      deviceId: string;
      interfaceName: string;
      manufacturer: string;
      serialNumber: string;
    }
  | { type: 'device'; deviceId: string; kind: MedloopDeviceKind }
  | { type: 'integration'; deviceId: string; rules: readonly AclRule[] };

export type AclDecision = { allowed: true } | { allowed: false; reason: string };
