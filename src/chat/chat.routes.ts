import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../platform/deps.js';
import { requestContext } from '../platform/http/http.context.js';
import { sendExport } from '../platform/http/http.export.js';
import {
  deleteAllQuery, exchangeView, exportMessagesQuery, listMessagesQuery, messagePage, messageParams, petIdParams, postMessageBody, readBody, unreadView,
} from './chat.schema.js';
import { chatError } from './chat.errors.js';
import { CHAT_CSV_COLUMNS, type ChatService } from './chat.service.js';

const sse = (stream: PassThrough, event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

/** POST with Accept: text/event-stream: the reply streams as `token` events, then `done` with both stored messages. */
async function streamExchange(reply: FastifyReply, run: (hooks: Parameters<ChatService['post']>[3]) => ReturnType<ChatService['post']>) {
  const stream = new PassThrough();
  let started = false;
  try {
    const result = await run({
      onStored: (message) => {
        started = true;
        reply.status(200).header('cache-control', 'no-cache').header('x-accel-buffering', 'no').type('text/event-stream; charset=utf-8').send(stream);
        sse(stream, 'message', { message });
      },
      onToken: (token) => sse(stream, 'token', { token }),
      onReset: () => sse(stream, 'reset', {}),
    });
    sse(stream, 'done', result);
  } catch (err) {
    if (!started) throw err;
    reply.log.error({ err }, 'chat stream failed after the message was stored');
    sse(stream, 'error', { code: 'internal' });
  }
  stream.end();
  return reply;
}

/** /pets/:petId/messages and /chats/unread: the conversation with a pet, replies (JSON or SSE) and read state. */
export function chatRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const chat = () => deps.services.chat;
  const tags = ['chat'];

  r.get('/pets/:petId/messages', { config: { rateTier: 'lenient' }, schema: { tags, params: petIdParams, querystring: listMessagesQuery, response: { 200: messagePage } } },
    async (req) => chat().list(requestContext(req), req.params.petId, { ...req.query, since: req.query.since ? new Date(req.query.since) : undefined }));

  r.get('/pets/:petId/messages/export', { config: { rateTier: 'moderate' }, schema: { tags, params: petIdParams, querystring: exportMessagesQuery } },
    async (request, reply) => {
      const rows = await chat().exportRows(requestContext(request), request.params.petId);
      return sendExport(reply, `chat-${request.params.petId}`, rows, request.query.format, CHAT_CSV_COLUMNS);
    });
  r.post('/pets/:petId/messages', { config: { rateTier: 'lenient' }, schema: { tags, params: petIdParams, body: postMessageBody, response: { 200: exchangeView } } },
    async (req, reply) => {
      const ctx = requestContext(req);
      if (String(req.headers.accept ?? '').includes('text/event-stream')) {
        return streamExchange(reply, (hooks) => chat().post(ctx, req.params.petId, req.body.content, hooks));
      }
      return chat().post(ctx, req.params.petId, req.body.content);
    });

  r.post('/pets/:petId/messages/read', { config: { rateTier: 'lenient' }, schema: { tags, params: petIdParams, body: readBody, response: { 200: z.object({ updated: z.number().int() }) } } },
    async (req) => ({ updated: await chat().markRead(requestContext(req), req.params.petId, 'all' in req.body ? 'all' : req.body.messageIds) }));

  r.delete('/pets/:petId/messages/:id', { config: { rateTier: 'moderate' }, schema: { tags, params: messageParams } },
    async (req, reply) => {
      await chat().remove(requestContext(req), req.params.petId, [req.params.id]);
      return reply.status(204).send();
    });

  r.delete('/pets/:petId/messages', { config: { rateTier: 'moderate' }, schema: { tags, params: petIdParams, querystring: deleteAllQuery, response: { 200: z.object({ deleted: z.number().int() }) } } },
    async (req) => {
      if (!req.query.all) throw chatError('chat_delete_all_required');
      return { deleted: await chat().remove(requestContext(req), req.params.petId, 'all') };
    });

  r.get('/chats/unread', { config: { rateTier: 'lenient' }, schema: { tags, response: { 200: unreadView } } },
    async (req) => chat().unread(requestContext(req)));
}
