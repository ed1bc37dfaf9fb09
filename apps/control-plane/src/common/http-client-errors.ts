/**
 * Requests Node's HTTP parser refuses before express sees them: a request line and headers
 * over the header limit (a long URL or cookie), a malformed request line, a request too slow
 * to arrive. Node's default answer is a bare status line with no body; these answer with the
 * same JSON error body as every other refusal, and are counted like every other bad input.
 */
import { maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MetricsService } from '../metrics/metrics.service.js';

interface ParserError extends Error {
  code?: string;
}

/** What to answer for a parser error code: status, stable error code, message. */
export function clientErrorAnswer(code: string | undefined, headerLimit: number): { status: number; error: string; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: 'headers_too_large', message: `request line and headers exceed ${headerLimit} bytes` };
    case 'HPE_REQUEST_TIMEOUT':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, error: 'request_timeout', message: 'the request did not arrive in time' };
    default:
      return { status: 400, error: 'malformed_request', message: `malformed HTTP request${code ? ` (${code})` : ''}` };
  }
}

export function answerClientErrors(server: Server, metrics: MetricsService): void {
  server.on('clientError', (err: ParserError, socket: Duplex) => {
    // a reset socket has no one to answer; a response already under way must not be corrupted
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, error, message } = clientErrorAnswer(err.code, (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? maxHeaderSize);
    metrics.rejectedInput('http', 'request', error);
    const body = JSON.stringify({ statusCode: status, error, message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
