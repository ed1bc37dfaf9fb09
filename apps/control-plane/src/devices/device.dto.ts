import { z } from 'zod';
import { DEVICE_KINDS } from '#contracts';

/** VDA 5050 topic levels: no `/ + # $`; serial numbers restricted further by the standard. */
const vdaLevel = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'use only A-Z a-z 0-9 _ . : -');
const deviceId = z.string().regex(/^[A-Za-z0-9_.:-]{3,64}$/, 'id: 3-64 characters of A-Z a-z 0-9 _ . : -');

const aclRule = z.strictObject({
  effect: z.enum(['allow', 'deny']),
  action: z.enum(['publish', 'subscribe', 'both']),
  pattern: z.string().min(1).max(256),
});

export const RegisterDeviceSchema = z
  .strictObject({
    id: deviceId.optional(),
    kind: z.enum(DEVICE_KINDS),
    name: z.string().min(1).max(128),
    ward: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'ward ids use letters, digits and _ . : -')
      .optional(),
    location: z.string().min(1).max(128).optional(),
    manufacturer: vdaLevel.optional(),
    serialNumber: vdaLevel.optional(),
    interfaceName: vdaLevel.optional(),
    acl: z.array(aclRule).min(1).max(100).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.kind === 'robot') {
      if (!d.manufacturer) ctx.addIssue({ code: 'custom', path: ['manufacturer'], message: 'robots need their VDA 5050 manufacturer' });
      if (!d.serialNumber) ctx.addIssue({ code: 'custom', path: ['serialNumber'], message: 'robots need their VDA 5050 serialNumber' });
    } else {
      for (const f of ['manufacturer', 'serialNumber', 'interfaceName'] as const) {
        if (d[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `${f} applies to robots only` });
      }
    }
    if (d.kind === 'integration' && !d.acl)
      ctx.addIssue({ code: 'custom', path: ['acl'], message: 'integration principals need an explicit list of topic rules' });
    if (d.kind !== 'integration' && d.acl) ctx.addIssue({ code: 'custom', path: ['acl'], message: 'topic rules apply to integration principals only' });
  });

export type RegisterDevice = z.infer<typeof RegisterDeviceSchema>;

export const DeviceIdParam = deviceId;

export const ListDevicesQuery = z.strictObject({
  kind: z.enum(DEVICE_KINDS).optional(),
  ward: z.string().max(64).optional(),
});
