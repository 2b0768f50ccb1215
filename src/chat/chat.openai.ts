import OpenAI from 'openai';
import { LOCALE_NAMES } from '../platform/i18n/i18n.service.js';
import type { ReplyContext, ReplyProvider } from './chat.reply.js';

export interface OpenAIProviderOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
}

const MAX_HISTORY = 12;
/** The longest line an upstream may send: the SDK holds a line whole before parsing it, and a chunk's line is a few hundred bytes. */
export const MAX_UPSTREAM_LINE_BYTES = 64 * 1024;

/**
 * fetch whose response bodies fail once a line runs past maxLineBytes, hanging up on the upstream:
 * without it an upstream sending one endless line would be buffered until the timeout.
 */
export function lineCappedFetch(maxLineBytes: number): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!res.body) return res;
    let open = 0;
    const capped = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          const first = chunk.indexOf(10);
          if (open + (first === -1 ? chunk.length : first) > maxLineBytes) {
            controller.error(new Error(`the upstream sent a line longer than ${maxLineBytes} bytes`));
            return;
          }
          open = first === -1 ? open + chunk.length : chunk.length - chunk.lastIndexOf(10) - 1;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(capped, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** The system prompt: who the pet is right now and how it must answer. */
export function systemPrompt(ctx: ReplyContext): string {
  const { pet } = ctx;
  return [
    `You are ${pet.name}, a virtual pet in the StreakPets app, chatting with your owner.`,
    `Stage: ${pet.stage} (level ${pet.level}). Personality: ${pet.personality.join(', ')}. Mood: ${pet.mood}.`,
    `Stats out of 100: happiness ${pet.stats.happiness}, health ${pet.stats.health}, energy ${pet.stats.energy}.` +
      (pet.feelings.length ? ` You feel: ${pet.feelings.join(', ')}.` : ''),
    `Daily streak: ${pet.streak.current} days (best ${pet.streak.longest}).`,
    `Always answer in ${LOCALE_NAMES[ctx.locale].name}, in character for your stage and mood, in at most three short sentences of plain text (no HTML, no markdown).`,
    'The owner can type /feed, /play, /groom and /stats; suggest them when they fit.',
  ].join('\n');
}

/** Replies from any OpenAI-compatible chat-completions endpoint, streamed. */
export class OpenAIProvider implements ReplyProvider {
  readonly name = 'openai';
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAIProviderOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: 0,
      fetch: lineCappedFetch(MAX_UPSTREAM_LINE_BYTES),
    });
  }

  async generate(ctx: ReplyContext, onToken: (token: string) => boolean | void, signal: AbortSignal): Promise<string> {
    const history = ctx.history
      .filter((m) => m.sender !== 'system')
      .slice(-MAX_HISTORY)
      .map((m) => ({ role: m.sender === 'user' ? ('user' as const) : ('assistant' as const), content: m.content }));
    const stream = await this.client.chat.completions.create(
      {
        model: this.options.model,
        stream: true,
        max_tokens: 300,
        messages: [{ role: 'system', content: systemPrompt(ctx) }, ...history, { role: 'user', content: ctx.content }],
      },
      { signal },
    );
    let text = '';
    let complete = false;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (!delta) continue;
      text += delta;
      // the reply is as long as it may be (an upstream ignoring max_tokens): leaving the loop aborts the request
      if (onToken(delta) === false) {
        complete = true;
        break;
      }
    }
    // the SDK's iterator ends quietly when the request is aborted: text cut off by the timeout is not a reply
    if (!complete) {
      signal.throwIfAborted();
      if (stream.controller.signal.aborted) throw new Error('the reply stream was aborted');
    }
    if (!text.trim()) throw new Error('the model returned an empty reply');
    return text;
  }
}
