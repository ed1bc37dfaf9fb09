/**
 * One valid example per message type, as printed in PROTOCOL.md. The spec parses each of
 * them, so the documentation cannot drift from the schemas unnoticed.
 */
import type { CabinetCommandInput, DeviceAck, SensorCommandInput } from './device.commands.js';
import type { CabinetEvent, CabinetTelemetry } from './cabinet.messages.js';
import type { DeviceStatus } from './device.status.js';
import type { SensorEvent, SensorTelemetry } from './sensor.messages.js';

const h = (deviceId: string, seq: number, ts = '2025-03-14T09:26:53.589Z') => ({ v: 1 as const, deviceId, seq, ts });

export const SAMPLE_SENSOR_TELEMETRY: SensorTelemetry = {
  ...h('FRIDGE-4W-01', 1042),
  readings: [
    { channel: 'air', temperatureC: 4.7, doorOpen: false },
    { channel: 'product', temperatureC: 5.1 },
  ],
  batteryPct: 87,
  rssiDbm: -61,
};

export const SAMPLE_ROOM_TELEMETRY: SensorTelemetry = {
  ...h('ROOM-4W-12', 77),
  readings: [{ channel: 'main', temperatureC: 22.4, humidityPct: 41.5 }],
};

export const SAMPLE_SENSOR_EVENTS: SensorEvent[] = [
  { ...h('FRIDGE-4W-01', 1043), type: 'doorOpened', channel: 'air' },
  { ...h('FRIDGE-4W-01', 1044), type: 'doorClosed', channel: 'air', openS: 95 },
  { ...h('FRIDGE-4W-01', 1045), type: 'probeFault', channel: 'product', fault: 'disconnected' },
  { ...h('FRIDGE-4W-01', 0), type: 'rebooted', reason: 'power_on' },
];

export const SAMPLE_CABINET_TELEMETRY: CabinetTelemetry = {
  ...h('CAB-4W-A', 5012),
  lockdown: false,
  doorOpen: false,
  drawers: [
    {
      drawerId: 'D1',
      refrigerated: false,
      pockets: [
        { pocketId: 'D1-P1', state: 'locked' },
        { pocketId: 'D1-P2', state: 'open' },
      ],
    },
    { drawerId: 'R1', refrigerated: true, temperatureC: 4.9, pockets: [{ pocketId: 'R1-P1', state: 'locked' }] },
  ],
};

export const SAMPLE_CABINET_EVENTS: CabinetEvent[] = [
  { ...h('CAB-4W-A', 5013), type: 'pocketOpened', pocketId: 'D1-P2', userId: 'nurse-117', commandId: 'cmd-8f2c' },
  { ...h('CAB-4W-A', 5014), type: 'pocketClosed', pocketId: 'D1-P2', openS: 12.5, commandId: 'cmd-8f2c' },
  { ...h('CAB-4W-A', 5015), type: 'countEntered', pocketId: 'D1-P2', userId: 'nurse-117', counted: 9, blind: true },
  { ...h('CAB-4W-A', 5016), type: 'doorForced', drawerId: 'D1' },
];

export const SAMPLE_CABINET_COMMANDS: CabinetCommandInput[] = [
  {
    ...h('CAB-4W-A', 311),
    type: 'unlockPocket',
    commandId: 'cmd-8f2c',
    pocketId: 'D1-P2',
    userId: 'nurse-117',
    reason: 'remove',
    expiresAt: '2025-03-14T09:27:23.589Z',
  },
  { ...h('CAB-4W-A', 312), type: 'lockdown', commandId: 'cmd-90aa', reason: 'suspected diversion: pharmacy review' },
  { ...h('CAB-4W-A', 313), type: 'lockLot', commandId: 'cmd-90ab', lot: 'AB1234', reason: 'manufacturer recall R-2025-07' },
];

export const SAMPLE_SENSOR_COMMANDS: SensorCommandInput[] = [{ ...h('FRIDGE-4W-01', 12), type: 'setReportInterval', commandId: 'cmd-1', intervalS: 60 }];

export const SAMPLE_ACKS: DeviceAck[] = [
  { ...h('CAB-4W-A', 5017), commandId: 'cmd-8f2c', result: 'done' },
  { ...h('CAB-4W-A', 5018), commandId: 'cmd-90ac', result: 'refused', detail: 'cabinet is locked down' },
];

export const SAMPLE_STATUS: DeviceStatus[] = [
  { ...h('CAB-4W-A', 1), state: 'online', firmware: 'sim-1.0.0' },
  { ...h('CAB-4W-A', 0), state: 'offline', reason: 'connection_lost' },
];
