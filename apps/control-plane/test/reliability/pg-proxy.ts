/**
 * A TCP proxy in front of PostgreSQL that loses COMMIT replies: it reads the client's side of
 * the wire protocol (startup packet, then typed messages), and when armed lets a COMMIT reach
 * the server, waits for the server's answer, drops it and cuts both sockets — the commit
 * happened, the client never hears so. It can also refuse every connection for a while (the
 * database "gone"). Loopback only; it closes everything it opened.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class LossyPgProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private commitsToCut = 0;
  /** after cutting a COMMIT reply, refuse every connection for this long (0: not) */
  private refuseAfterCutMs = 0;
  private refuseUntil = 0;
  /** COMMITs whose reply this proxy dropped */
  cutCommits = 0;
  port = 0;

  private constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(upstream: URL): Promise<LossyPgProxy> {
    const p = new LossyPgProxy(upstream.hostname, Number(upstream.port || 5432));
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.port = (p.server.address() as { port: number }).port;
    return p;
  }

  /**
   * The next `n` COMMITs (on any connection) reach the server, but their replies are lost;
   * with `thenRefuseMs`, the database is gone for that long from the moment a reply is lost
   * (in the same step: the server cannot slip a read-back in between).
   */
  loseCommitReplies(n: number, thenRefuseMs = 0): void {
    this.commitsToCut += n;
    this.refuseAfterCutMs = thenRefuseMs;
  }

  /** Cuts every open connection and refuses new ones for `ms`. */
  refuseFor(ms: number): void {
    this.refuseUntil = Date.now() + ms;
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (Date.now() < this.refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(this.upstreamPort, this.upstreamHost);
    this.track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const cutBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cutBoth);
    upstream.on('error', cutBoth);
    client.on('close', cutBoth);
    upstream.on('close', cutBoth);

    let pending = Buffer.alloc(0);
    let startup = true;
    let awaitingCommitReply = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      // scan the client's messages for a COMMIT (simple query 'Q' or extended-protocol 'P')
      pending = Buffer.concat([pending, chunk]);
      for (let guard = 0; guard < 10_000; guard++) {
        if (startup) {
          if (pending.length < 4) break;
          const len = pending.readInt32BE(0);
          if (pending.length < len) break;
          pending = pending.subarray(len);
          startup = false;
          continue;
        }
        if (pending.length < 5) break;
        const type = String.fromCharCode(pending[0]!);
        const len = pending.readInt32BE(1);
        if (pending.length < 1 + len) break;
        const body = pending.subarray(5, 1 + len).toString('utf8');
        pending = pending.subarray(1 + len);
        // 'Q': the query text; 'P': statement name, NUL, then the query text
        const sql = type === 'Q' ? body : type === 'P' ? body.slice(body.indexOf('\0') + 1) : '';
        if (this.commitsToCut > 0 && /^\s*COMMIT\b/i.test(sql)) {
          this.commitsToCut -= 1;
          awaitingCommitReply = true;
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (awaitingCommitReply) {
        // the server has answered the COMMIT: it is committed; the client never learns it
        this.cutCommits += 1;
        cutBoth();
        if (this.refuseAfterCutMs > 0) this.refuseFor(this.refuseAfterCutMs);
        return;
      }
      client.write(chunk);
    });
  }
}
