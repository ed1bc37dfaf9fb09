/**
 * The browser side of the live socket: one connection per signed-in tab, one LiveMirror per
 * room the page watches. On every (re)connect each room is subscribed again with the last
 * (epoch, seq) it applied, so the server replays what was missed or sends a fresh snapshot.
 */
import { useEffect, useState } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';
import { LiveMirror } from '../../../libs/contracts/src/live/live-mirror';
import { LIVE_NAMESPACE, type LiveClientEvents, type LiveError, type LiveRoom, type LiveServerEvents } from '../../../libs/contracts/src/live/live.types';
import { refreshSession } from './api';
import { loadSession } from './session';

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'refused';

class LiveConnection {
  readonly socket: Socket<LiveServerEvents, LiveClientEvents>;
  readonly mirrors = new Map<LiveRoom, LiveMirror>();
  private readonly refs = new Map<LiveRoom, number>();
  private readonly listeners = new Set<() => void>();
  private pending = false;
  link: LinkState = 'connecting';
  lastError: LiveError | null = null;

  constructor() {
    // every (re)connect presents the tab's current access token (refreshed in the background)
    this.socket = io(LIVE_NAMESPACE, {
      auth: (cb) => cb({ token: loadSession()?.token ?? '' }),
      transports: ['websocket'],
      reconnectionDelayMax: 5000,
    });
    this.socket.on('connect', () => {
      this.link = 'live';
      for (const m of this.mirrors.values()) this.subscribe(m);
      this.changed();
    });
    this.socket.on('disconnect', (reason) => {
      this.link = 'reconnecting';
      // the server closed it (the session ended, the account was disabled): socket.io does not
      // reconnect by itself; a refresh tells whether the session lives (then reconnect) or not
      // (then the tab signs out)
      if (reason === 'io server disconnect')
        void refreshSession().then((s) => {
          if (s) this.socket.connect();
        });
      this.changed();
    });
    this.socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (err.data?.code === 'invalid_token' || err.data?.code === 'invalid_handshake') {
        // the access token expired while the socket was down: refresh and connect again; a
        // session that has ended sends the tab to the sign-in page (refreshSession does)
        this.link = 'refused';
        void refreshSession().then((s) => {
          if (s) this.socket.connect();
        });
      } else this.link = 'reconnecting';
      this.changed();
    });
    this.socket.on('snapshot', (s) => {
      this.mirrors.get(s.room)?.applySnapshot(s);
      this.changed();
    });
    this.socket.on('resumed', (r) => {
      const m = this.mirrors.get(r.room);
      if (m && m.applyResumed(r) === 'gap') this.resync(m);
    });
    this.socket.on('deltas', (batch) => {
      let any = false;
      for (const m of this.mirrors.values()) {
        const r = m.applyBatch(batch);
        if (r === 'gap') this.resync(m);
        any = any || r !== 'ignored';
      }
      if (any) this.changed();
    });
    this.socket.on('positions', (samples) => {
      let any = false;
      for (const p of samples) for (const m of this.mirrors.values()) any = m.applyPosition(p) || any;
      if (any) this.changed();
    });
    // the server took the room away (the user's wards or role changed): what it showed is no
    // longer theirs to see and would not update; the page keeps the error banner saying why
    this.socket.on('unsubscribed', ({ room }) => {
      const m = this.mirrors.get(room);
      if (!m) return;
      m.epoch = null;
      m.seq = -1;
      for (const map of [m.robots, m.missions, m.alarms, m.sensors]) map.clear();
      m.other.length = 0;
      this.changed();
    });
    this.socket.on('error', (e) => {
      this.lastError = e;
      this.changed();
    });
  }

  watch(room: LiveRoom): LiveMirror {
    this.refs.set(room, (this.refs.get(room) ?? 0) + 1);
    let m = this.mirrors.get(room);
    if (!m) {
      m = new LiveMirror(room);
      this.mirrors.set(room, m);
      if (this.socket.connected) this.subscribe(m);
    }
    return m;
  }

  unwatch(room: LiveRoom): void {
    const n = (this.refs.get(room) ?? 1) - 1;
    if (n > 0) return void this.refs.set(room, n);
    this.refs.delete(room);
    this.mirrors.delete(room);
    if (this.socket.connected) this.socket.emit('unsubscribe', { room });
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.socket.close();
  }

  private subscribe(m: LiveMirror): void {
    const resume = m.resumeFrom();
    this.socket.emit('subscribe', { room: m.room, ...(resume ? { resume } : {}) });
  }

  private resync(m: LiveMirror): void {
    // subscribing again with our position: the server replays or sends a snapshot
    this.subscribe(m);
  }

  /** Re-render at most once per frame, however many samples arrive. */
  private changed(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      for (const fn of this.listeners) fn();
    });
  }
}

let current: { user: string; conn: LiveConnection } | null = null;

export function liveConnection(): LiveConnection | null {
  const s = loadSession();
  if (!s) {
    current?.conn.close();
    current = null;
    return null;
  }
  // one connection per signed-in user: a refreshed token does not reopen it
  if (current?.user !== s.user.id) {
    current?.conn.close();
    current = { user: s.user.id, conn: new LiveConnection() };
  }
  return current.conn;
}

export function closeLive(): void {
  current?.conn.close();
  current = null;
}

/** Watches a room for as long as the component is mounted; re-renders on every change. */
export function useLiveRoom(room: LiveRoom | null): { mirror: LiveMirror | null; link: LinkState; error: LiveError | null } {
  const conn = liveConnection();
  const [, setTick] = useState(0);
  const [mirror, setMirror] = useState<LiveMirror | null>(null);
  useEffect(() => {
    if (!conn || !room) return;
    setMirror(conn.watch(room));
    const off = conn.onChange(() => setTick((t) => t + 1));
    return () => {
      off();
      conn.unwatch(room);
    };
  }, [conn, room]);
  return { mirror: mirror && mirror.room === room ? mirror : null, link: conn?.link ?? 'connecting', error: conn?.lastError ?? null };
}
