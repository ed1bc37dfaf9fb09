import { describe, expect, it } from '@jest/globals';
import { generateDeviceSecret, hashDeviceSecret, verifyDeviceSecret } from './device-credentials.js';

describe('device credentials', () => {
  it('generates distinct 256-bit secrets', () => {
    const a = generateDeviceSecret();
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(generateDeviceSecret()).not.toBe(a);
  });

  it('verifies the right secret and refuses others', () => {
    const s = generateDeviceSecret();
    const h = hashDeviceSecret(s);
    expect(h).not.toContain(s);
    expect(verifyDeviceSecret(h, Buffer.from(s))).toBe(true);
    expect(verifyDeviceSecret(h, Buffer.from(s + 'x'))).toBe(false);
    expect(verifyDeviceSecret(h, Buffer.alloc(0))).toBe(false);
  });
});
