/**
 * Reference broker: plain aedes (same version as MedLoop's), no authentication, ACL,
 * validation or metrics. `noDelay: true` is `net.createServer({noDelay:true}, broker.handle)`;
 * false is aedes' documented default listener `net.createServer(broker.handle)` (Nagle on).
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { send, workerArgs } from '../lib/worker.js';

interface Args {
  noDelay: boolean;
  maxLifetimeMs: number;
}

const args = workerArgs<Args>(120_000);
const broker = await Aedes.createBroker();
const server = args.noDelay ? createServer({ noDelay: true }, broker.handle) : createServer(broker.handle);
server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }));
