import { describe, expect, it } from '@jest/globals';
import { compileAcl, invalidAclRules } from './acl.js';
import type { Principal } from './principal.js';

const robot: Principal = { type: 'robot', deviceId: 'rbt-1', interfaceName: 'uagv', manufacturer: 'Acme', serialNumber: 'R1' };
const cabinet: Principal = { type: 'device', deviceId: 'cab-1', kind: 'cabinet' };

describe('robot ACL (VDA 5050 space)', () => {
  const acl = compileAcl(robot);

  it.each(['state', 'connection', 'visualization', 'factsheet'])('may publish its own %s', (t) => {
    expect(acl.canPublish(`uagv/v2/Acme/R1/${t}`)).toEqual({ allowed: true });
  });

  it('may not publish its own order (that is the controller’s topic)', () => {
    expect(acl.canPublish('uagv/v2/Acme/R1/order').allowed).toBe(false);
  });

  it("may not publish another robot's state", () => {
    const d = acl.canPublish('uagv/v2/Acme/R2/state');
    expect(d).toEqual({ allowed: false, reason: "publish to 'uagv/v2/Acme/R2/state' is outside the device's topic space" });
  });

  it('may subscribe to its own order, instantActions and rejections', () => {
    expect(acl.canSubscribe('uagv/v2/Acme/R1/order').allowed).toBe(true);
    expect(acl.canSubscribe('uagv/v2/Acme/R1/instantActions').allowed).toBe(true);
    expect(acl.canSubscribe('medloop/v1/rejections/rbt-1').allowed).toBe(true);
  });

  it.each(['uagv/v2/Acme/R1/+', 'uagv/v2/Acme/R1/#', 'uagv/v2/Acme/+/order', '#', 'uagv/v2/Acme/R2/order', 'medloop/v1/rejections/rbt-2'])(
    'may not subscribe to %s',
    (f) => {
      expect(acl.canSubscribe(f).allowed).toBe(false);
    },
  );

  it('refuses malformed filters with the reason', () => {
    expect(acl.canSubscribe('uagv/#/order')).toEqual({ allowed: false, reason: "'#' must occupy a whole level and be the last one" });
  });
});

describe('cabinet/sensor ACL (MedLoop space)', () => {
  const acl = compileAcl(cabinet);
  it('publishes telemetry/event/ack/status and subscribes command only in its own space', () => {
    for (const c of ['telemetry', 'event', 'ack', 'status']) expect(acl.canPublish(`medloop/v1/cabinet/cab-1/${c}`).allowed).toBe(true);
    expect(acl.canPublish('medloop/v1/cabinet/cab-1/command').allowed).toBe(false);
    expect(acl.canPublish('medloop/v1/cabinet/cab-2/telemetry').allowed).toBe(false);
    expect(acl.canPublish('medloop/v1/sensor/cab-1/telemetry').allowed).toBe(false);
    expect(acl.canSubscribe('medloop/v1/cabinet/cab-1/command').allowed).toBe(true);
    expect(acl.canSubscribe('medloop/v1/cabinet/cab-1/telemetry').allowed).toBe(false);
    expect(acl.canSubscribe('medloop/v1/cabinet/+/command').allowed).toBe(false);
  });
});

describe('integration ACL (explicit rules)', () => {
  const acl = compileAcl({
    type: 'integration',
    deviceId: 'bms-1',
    rules: [
      { effect: 'allow', action: 'subscribe', pattern: 'medloop/v1/sensor/#' },
      { effect: 'deny', action: 'subscribe', pattern: 'medloop/v1/sensor/+/command' },
      { effect: 'allow', action: 'publish', pattern: 'bms/+/alarms' },
      { effect: 'deny', action: 'both', pattern: 'bms/secret/#' },
    ],
  });

  it('allows subscriptions fully inside an allow pattern', () => {
    expect(acl.canSubscribe('medloop/v1/sensor/s1/telemetry').allowed).toBe(true);
    expect(acl.canSubscribe('medloop/v1/sensor/+/telemetry').allowed).toBe(true);
  });

  it('denies a wildcard that would overlap a deny pattern', () => {
    expect(acl.canSubscribe('medloop/v1/sensor/#')).toEqual({
      allowed: false,
      reason: "subscription 'medloop/v1/sensor/#' overlaps deny rule 'medloop/v1/sensor/+/command'",
    });
  });

  it('denies anything not inside an allow pattern', () => {
    expect(acl.canSubscribe('medloop/v1/cabinet/c1/telemetry').allowed).toBe(false);
    expect(acl.canSubscribe('#').allowed).toBe(false);
  });

  it('applies publish rules with deny winning', () => {
    expect(acl.canPublish('bms/north/alarms').allowed).toBe(true);
    expect(acl.canPublish('bms/secret/alarms').allowed).toBe(false);
    expect(acl.canPublish('medloop/v1/sensor/s1/telemetry').allowed).toBe(false);
  });

  it('validates rule patterns at registration', () => {
    expect(invalidAclRules([{ effect: 'allow', action: 'both', pattern: 'a/#/b' }])).toEqual({
      index: 0,
      message: "'#' must occupy a whole level and be the last one",
    });
    expect(invalidAclRules([{ effect: 'allow', action: 'both', pattern: 'a/#' }])).toBeNull();
  });
});

describe('internal principal', () => {
  it('is unrestricted', () => {
    const acl = compileAcl({ type: 'internal' });
    expect(acl.canPublish('uagv/v2/Acme/R1/order').allowed).toBe(true);
    expect(acl.canSubscribe('#').allowed).toBe(true);
  });
});
