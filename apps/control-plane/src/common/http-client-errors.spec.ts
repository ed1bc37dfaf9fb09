import { describe, expect, it } from '@jest/globals';
import { clientErrorAnswer } from './http-client-errors.js';

describe('clientErrorAnswer', () => {
  it('maps header overflow to 431 naming the limit', () => {
    expect(clientErrorAnswer('HPE_HEADER_OVERFLOW', 16_384)).toEqual({
      status: 431,
      error: 'headers_too_large',
      message: 'request line and headers exceed 16384 bytes',
    });
  });

  it('maps a request that did not arrive in time to 408', () => {
    expect(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT', 16_384).status).toBe(408);
    expect(clientErrorAnswer('HPE_REQUEST_TIMEOUT', 16_384).error).toBe('request_timeout');
  });

  it('maps every other parser error to 400 naming its code', () => {
    expect(clientErrorAnswer('HPE_INVALID_METHOD', 16_384)).toEqual({
      status: 400,
      error: 'malformed_request',
      message: 'malformed HTTP request (HPE_INVALID_METHOD)',
    });
    expect(clientErrorAnswer(undefined, 16_384).message).toBe('malformed HTTP request');
  });
});
