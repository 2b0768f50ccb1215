import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { negotiateLocale } from '../i18n/i18n.service.js';
import { httpError, problemDocument } from './http.errors.js';

/** A header's value among the raw bytes of a request that could not be parsed (it may be cut short or missing). */
function rawHeader(raw: string, name: string): string | undefined {
  return new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(raw)?.[1];
}

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser refuses before Fastify sees it (request line
 * and headers over the limit, bytes that are no request, such as those past a body's Content-Length, or
 * a request not received in time) is answered with problem+json like every other error, in the
 * language its Accept-Language or X-Locale asked for when the bytes received show them (English
 * otherwise), and the connection is closed. A connection already reset gets nothing.
 */
export function answerClientError(this: FastifyInstance, err: ConnectionError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const error =
    err.code === 'HPE_HEADER_OVERFLOW' ? httpError('headers_too_large') : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? httpError('request_timeout') : httpError('bad_request');
  this.log.debug({ code: err.code }, 'client error');
  if (socket.writable) {
    // the bytes the parser failed on, a Buffer (Fastify's type describes its JSON form)
    const packet: unknown = err.rawPacket;
    const raw = Buffer.isBuffer(packet) ? packet.toString('latin1') : '';
    const locale = negotiateLocale(undefined, rawHeader(raw, 'x-locale'), rawHeader(raw, 'accept-language'));
    const body = JSON.stringify(problemDocument(locale, error));
    socket.write(
      [
        `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
        'Content-Type: application/problem+json; charset=utf-8',
        `Content-Language: ${locale}`,
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  }
  socket.destroy(err);
}
