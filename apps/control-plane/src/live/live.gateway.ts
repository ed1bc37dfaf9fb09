/**
 * The live socket.io gateway (namespace /live) for nurse stations and consoles. Authenticates
 * the handshake's JWT before the connection is accepted, then each handler makes one call into
 * LiveSessions. Delivery and backpressure live in LiveHub; LiveAccessWatch closes a socket
 * whose session ends and takes away a room its user may no longer watch.
 */
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { LIVE_NAMESPACE } from '#contracts';
import { LiveHandshakeError, LiveSessions } from './live-session.service.js';

@WebSocketGateway({ namespace: LIVE_NAMESPACE, serveClient: false, maxHttpBufferSize: 64 * 1024 })
export class LiveGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  constructor(private readonly sessions: LiveSessions) {}

  afterInit(ns: Namespace): void {
    ns.use((socket, next) => {
      this.sessions.authenticate(socket).then(
        () => next(),
        (err: unknown) => {
          const e = err instanceof LiveHandshakeError ? err : new LiveHandshakeError('authentication failed', { code: 'unauthorized' });
          next(Object.assign(new Error(e.message), { data: e.data }));
        },
      );
    });
  }

  handleConnection(socket: Socket): void {
    this.sessions.connected(socket);
  }

  handleDisconnect(socket: Socket): void {
    this.sessions.disconnected(socket);
  }

  @SubscribeMessage('subscribe')
  subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<void> {
    return this.sessions.subscribe(socket, body);
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): void {
    this.sessions.unsubscribe(socket, body);
  }
}
