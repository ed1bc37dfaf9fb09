/**
 * Ports for servers a test or benchmark starts as a child process and must name in advance
 * (to restart it on the same ports after a kill). A port the OS hands out for listen(0) comes
 * from the ephemeral range, which is also where outgoing connections get their local ports:
 * once the probe closes it, any client's connect() can take it before the child listens (seen
 * in CI: a server refused to start on a port probed free a moment before). These ports come
 * from below that range, where only another listener can take them, and are checked free by
 * binding.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';

const FLOOR = 10_000;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function listen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/** `n` distinct free ports on 127.0.0.1, below the ephemeral range where it leaves room. */
export async function freePorts(n: number): Promise<number[]> {
  const low = ephemeralLow();
  const held: Server[] = [];
  try {
    for (let attempts = 0; held.length < n; attempts++) {
      if (attempts > 500) throw new Error(`no ${n} free ports found in ${FLOOR}-${low - 1}`);
      // too narrow a range below the ephemeral one: let the OS pick (the old behaviour)
      const port = low - FLOOR > 1_000 ? FLOOR + Math.floor(Math.random() * (low - FLOOR)) : 0;
      const srv = await listen(port);
      if (srv) held.push(srv);
    }
    return held.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
