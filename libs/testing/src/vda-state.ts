/**
 * The smallest schema-valid VDA 5050 2.0.0 `state` of robot `Acme/<serialNumber>`, as JSON:
 * what broker and ingress tests publish when they need a robot message that passes validation.
 */
export function vdaStateJson(serialNumber: string, headerId: number, opts: { battery?: number; lastNodeId?: string } = {}): string {
  return JSON.stringify({
    headerId,
    timestamp: new Date().toISOString(),
    version: '2.0.0',
    manufacturer: 'Acme',
    serialNumber,
    orderId: '',
    orderUpdateId: 0,
    lastNodeId: opts.lastNodeId ?? '',
    lastNodeSequenceId: 0,
    nodeStates: [],
    edgeStates: [],
    driving: false,
    actionStates: [],
    batteryState: { batteryCharge: opts.battery ?? 50, charging: false },
    operatingMode: 'AUTOMATIC',
    errors: [],
    safetyState: { eStop: 'NONE', fieldViolation: false },
  });
}
