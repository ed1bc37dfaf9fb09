/**
 * The device registry: registration with one-time credentials, rotation, revocation, and the
 * credential check the broker runs at every MQTT CONNECT.
 */
import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type DeviceKind, VDA_ROBOT_PUBLISH_TOPICS, VDA_ROBOT_SUBSCRIBE_TOPICS, deviceTopic, rejectionTopic } from '#contracts';
import {
  assertInWardScope,
  ConflictError,
  filterInWardScope,
  NotFoundError,
  type Principal,
  ValidationError,
  invalidAclRules,
  robotTopicRoot,
  type WardScopedUser,
} from '#domain';
import { type DeviceEntity, DevicesRepository } from '#persistence';
import { EventBus } from '../common/events.js';
import { generateDeviceSecret, hashDeviceSecret, verifyDeviceSecret } from './device-credentials.js';
import { DevicePresenceService } from './device-presence.service.js';
import type { RegisterDevice } from './device.dto.js';

const DEFAULT_INTERFACE = 'uagv';
const ID_PREFIX: Record<DeviceKind, string> = { robot: 'rbt', cabinet: 'cab', sensor: 'sns', station: 'stn', integration: 'int' };

export interface DeviceView {
  id: string;
  kind: DeviceKind;
  name: string;
  ward: string | null;
  location: string | null;
  vda5050: { interfaceName: string; manufacturer: string; serialNumber: string } | null;
  aclRules: DeviceEntity['aclRules'];
  topics: { publish: string[]; subscribe: string[] };
  online: boolean;
  lastSeenAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface DeviceCredentials {
  /** the MQTT username (the device id) */
  username: string;
  /** the MQTT password; shown once, only a hash is stored */
  password: string;
}

/** `generation`: the credential generation the secret was checked against (see DeviceEntity) */
export type DeviceAuthResult = { ok: true; principal: Principal; generation: number } | { ok: false; reason: 'bad_credentials' | 'revoked' };

/** the digest an unknown device id's secret is compared with: no secret hashes to it */
const UNKNOWN_DEVICE_HASH = hashDeviceSecret(generateDeviceSecret());

@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly presence: DevicePresenceService,
    private readonly bus: EventBus,
  ) {}

  async register(input: RegisterDevice): Promise<{ device: DeviceView; credentials: DeviceCredentials }> {
    if (input.acl) {
      const bad = invalidAclRules(input.acl);
      if (bad) throw new ValidationError(`acl[${bad.index}].pattern: ${bad.message}`, `acl[${bad.index}].pattern`);
    }
    const id = input.id ?? `${ID_PREFIX[input.kind]}-${randomBytes(6).toString('hex')}`;
    if (await this.devices.findById(id)) throw new ConflictError(`device '${id}' already exists`, 'device_exists', { field: 'id' });
    const interfaceName = input.kind === 'robot' ? (input.interfaceName ?? DEFAULT_INTERFACE) : null;
    if (input.kind === 'robot' && (await this.devices.findRobot(interfaceName!, input.manufacturer!, input.serialNumber!))) {
      throw new ConflictError(`a robot ${input.manufacturer}/${input.serialNumber} is already registered`, 'robot_exists', { field: 'serialNumber' });
    }
    const secret = generateDeviceSecret();
    const now = new Date();
    const entity: DeviceEntity = {
      id,
      kind: input.kind,
      name: input.name,
      ward: input.ward ?? null,
      location: input.location ?? null,
      interfaceName,
      manufacturer: input.manufacturer ?? null,
      serialNumber: input.serialNumber ?? null,
      aclRules: input.acl ?? null,
      secretHash: hashDeviceSecret(secret),
      secretRotatedAt: now,
      credentialGeneration: 0,
      revokedAt: null,
      lastSeenAt: null,
      createdAt: now,
    };
    await this.devices.insert(entity);
    return { device: this.view(entity), credentials: { username: id, password: secret } };
  }

  /** A ward-bound caller sees its wards' devices; robots and pharmacy devices (no ward) only the roles that see every ward. */
  async list(filter: { kind?: DeviceKind | undefined; ward?: string | undefined }, user: WardScopedUser): Promise<DeviceView[]> {
    if (filter.ward) assertInWardScope(user, filter.ward);
    const devices = await this.devices.list({ ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.ward ? { ward: filter.ward } : {}) });
    return filterInWardScope(user, devices, (d) => d.ward).map((d) => this.view(d));
  }

  async get(id: string): Promise<DeviceView> {
    return this.view(await this.require(id));
  }

  /**
   * Issues a new secret; the old one stops working and live sessions are dropped at once. The
   * secret and the credential generation change in one conditional UPDATE, and the broker is
   * told the new generation once it is committed: a session authorised against the old secret
   * is closed whether it was registered before or after (embedded-broker `disconnectDevice`).
   */
  async rotateCredentials(id: string): Promise<{ device: DeviceView; credentials: DeviceCredentials }> {
    const d = await this.require(id);
    if (d.revokedAt) throw new ConflictError(`device '${id}' is revoked`, 'device_revoked');
    const secret = generateDeviceSecret();
    const now = new Date();
    const generation = await this.devices.changeCredential(id, { secretHash: hashDeviceSecret(secret), secretRotatedAt: now });
    // revoked (or deleted) since it was read: the revocation won
    if (generation === null) throw new ConflictError(`device '${id}' is revoked`, 'device_revoked');
    this.bus.emit('device.sessions_invalidated', { deviceId: id, reason: 'credentials_rotated', generation });
    return { device: this.view({ ...d, secretRotatedAt: now, credentialGeneration: generation }), credentials: { username: id, password: secret } };
  }

  /** Revokes a device: it can no longer connect, any live session is dropped at once, its will is not published. */
  async revoke(id: string): Promise<DeviceView> {
    const d = await this.require(id);
    if (d.revokedAt) throw new ConflictError(`device '${id}' is already revoked`, 'device_revoked');
    const now = new Date();
    const generation = await this.devices.changeCredential(id, { revokedAt: now });
    if (generation === null) throw new ConflictError(`device '${id}' is already revoked`, 'device_revoked');
    this.bus.emit('device.sessions_invalidated', { deviceId: id, reason: 'revoked', generation });
    return this.view({ ...d, revokedAt: now, credentialGeneration: generation });
  }

  /** The broker's CONNECT check: username = device id, password = its secret. */
  async authenticate(username: string, password: Buffer): Promise<DeviceAuthResult> {
    const d = await this.devices.findById(username);
    // an unknown id does the same digest and comparison as a known one: its answer takes as long
    const ok = verifyDeviceSecret(d?.secretHash ?? UNKNOWN_DEVICE_HASH, password);
    if (!d || !ok) return { ok: false, reason: 'bad_credentials' };
    if (d.revokedAt) return { ok: false, reason: 'revoked' };
    return { ok: true, principal: principalOf(d), generation: d.credentialGeneration };
  }

  private async require(id: string): Promise<DeviceEntity> {
    const d = await this.devices.findById(id);
    if (!d) throw new NotFoundError('Device', id);
    return d;
  }

  private view(d: DeviceEntity): DeviceView {
    const p = this.presence.get(d.id);
    const lastSeen = p?.lastSeenAt ?? d.lastSeenAt;
    return {
      id: d.id,
      kind: d.kind,
      name: d.name,
      ward: d.ward,
      location: d.location,
      vda5050: d.kind === 'robot' ? { interfaceName: d.interfaceName!, manufacturer: d.manufacturer!, serialNumber: d.serialNumber! } : null,
      aclRules: d.aclRules,
      topics: topicsOf(d),
      online: p?.online ?? false,
      lastSeenAt: lastSeen ? lastSeen.toISOString() : null,
      revokedAt: d.revokedAt ? d.revokedAt.toISOString() : null,
      createdAt: d.createdAt.toISOString(),
    };
  }
}

export function principalOf(d: DeviceEntity): Principal {
  switch (d.kind) {
    case 'robot':
      return { type: 'robot', deviceId: d.id, interfaceName: d.interfaceName!, manufacturer: d.manufacturer!, serialNumber: d.serialNumber! };
    case 'integration':
      return { type: 'integration', deviceId: d.id, rules: d.aclRules ?? [] };
    default:
      return { type: 'device', deviceId: d.id, kind: d.kind };
  }
}

/** The topics a device uses, shown at registration so installers can configure it. */
function topicsOf(d: DeviceEntity): DeviceView['topics'] {
  if (d.kind === 'robot') {
    const root = robotTopicRoot({ interfaceName: d.interfaceName!, manufacturer: d.manufacturer!, serialNumber: d.serialNumber! });
    return {
      publish: VDA_ROBOT_PUBLISH_TOPICS.map((t) => `${root}/${t}`),
      subscribe: [...VDA_ROBOT_SUBSCRIBE_TOPICS.map((t) => `${root}/${t}`), rejectionTopic(d.id)],
    };
  }
  if (d.kind === 'integration') {
    const rules = d.aclRules ?? [];
    return {
      publish: rules.filter((r) => r.effect === 'allow' && r.action !== 'subscribe').map((r) => r.pattern),
      subscribe: rules.filter((r) => r.effect === 'allow' && r.action !== 'publish').map((r) => r.pattern),
    };
  }
  return {
    publish: (['telemetry', 'event', 'ack', 'status'] as const).map((c) => deviceTopic(d.kind as 'cabinet', d.id, c)),
    subscribe: [deviceTopic(d.kind as 'cabinet', d.id, 'command'), rejectionTopic(d.id)],
  };
}
