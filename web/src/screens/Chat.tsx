import { Icon } from '../components/Icon';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, rawRequest } from '../api';
import { PetSvg } from '../components/PetSvg';
import { Button, Empty, ErrorBox, Spinner, useErrorText } from '../components/ui';
import { formatAmount, formatTime } from '../format';
import { listOf, looksLikeMessage, messagesIn, normalizeMessage, obj, str, type ChatMessage, type Pet } from '../model';
import { useSelectedPet } from '../pets';
import { Link } from '../router';
import { useSocketEvent } from '../socket';
import { useProfileTimeZone } from './WalletParts';

/** Slash commands the chat understands (pets and wallets register them on the server). */
export const COMMANDS = ['help', 'feed', 'play', 'groom', 'stats', 'evolve', 'rename', 'wallet', 'pay', 'confirm', 'cancel', 'history', 'status', 'request', 'deposit'] as const;

const PAGE = 40;

function byTime(a: ChatMessage, b: ChatMessage): number {
  return a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? -1 : 1;
}

/** How long the server accepts a /pay confirmation code (CONFIRM_MINUTES in src/wallets/wallets.commands.ts). */
const CONFIRM_MS = 5 * 60_000;
const CODE_COMMAND = /^\/(confirm|cancel)\s+(\S+)/i;

/** What a payment card shows: its buttons, or why they are gone. */
type CardStatus = 'open' | 'confirmed' | 'dismissed' | 'expired';

type CodeOutcome = 'confirmed' | 'cancelled' | 'refused';

/**
 * What became of each code the user sent back with /confirm or /cancel, read from the conversation
 * itself so it survives reloads and reads the same in every browser (history pages load newest first,
 * so a loaded card has every later message): "confirmed" or "cancelled" when the server spent the code
 * or has not answered yet, "refused" when it answered that no payment waits for that code (used up or
 * expired). Other failures (funds, chain) leave the code usable, so they leave no mark.
 */
function codeOutcomes(messages: ChatMessage[]): Map<string, CodeOutcome> {
  const out = new Map<string, CodeOutcome>();
  messages.forEach((m, i) => {
    const match = m.sender === 'user' ? CODE_COMMAND.exec(m.content.trim()) : null;
    const code = match?.[2]?.toUpperCase();
    if (!match || !code || out.get(code) === 'confirmed' || out.get(code) === 'cancelled') return;
    const command = match[1]!.toLowerCase();
    let reply: ChatMessage | undefined;
    for (const next of messages.slice(i + 1)) {
      if (next.sender === 'user') {
        if (CODE_COMMAND.test(next.content.trim())) break;
        continue;
      }
      if (next.metadata.command === command) {
        reply = next;
        break;
      }
    }
    if (!reply || reply.metadata.error !== true) out.set(code, command === 'confirm' ? 'confirmed' : 'cancelled');
    else if (reply.metadata.reason === 'wallets.chat.confirmUnknown') out.set(code, 'refused');
  });
  return out;
}

/** Whether the code of a card created at `createdAt` is past the server's window; flips when it passes. */
function useExpired(createdAt: string): boolean {
  const expiresAt = Date.parse(createdAt) + CONFIRM_MS;
  const [expired, setExpired] = useState(() => Date.now() >= expiresAt);
  useEffect(() => {
    if (Number.isNaN(expiresAt)) return;
    const left = expiresAt - Date.now();
    if (left <= 0) {
      setExpired(true);
      return;
    }
    setExpired(false);
    const id = setTimeout(() => setExpired(true), Math.min(left + 50, 2 ** 31 - 1));
    return () => clearTimeout(id);
  }, [expiresAt]);
  return expired;
}

/** A /pay confirmation: the code to send back and what it will do. */
function confirmationOf(m: ChatMessage): { code: string; to: string | null; amount: string | null; fee: string | null } | null {
  if (m.sender === 'user') return null;
  const meta = m.metadata;
  const c = obj(meta.confirmation ?? meta.pendingPayment ?? meta.pay);
  const code = str(c.code ?? meta.confirmCode ?? meta.confirmationCode) ?? /\/confirm\s+([A-Za-z0-9-]{3,})/.exec(m.content)?.[1] ?? null;
  if (!code) return null;
  return { code, to: str(c.to ?? meta.to), amount: str(c.amount ?? meta.amount), fee: str(c.fee ?? c.gasFee ?? meta.fee) };
}

/** The message inside a chat:message socket payload. */
function messageFromEvent(payload: Record<string, unknown>): ChatMessage | null {
  if (looksLikeMessage(payload.message)) return normalizeMessage(payload.message);
  const data = obj(payload.data);
  const src = Object.keys(data).length ? { ...payload, ...data } : payload;
  const id = str(src.messageId) ?? str(src.id);
  if (!id || typeof src.content !== 'string') return null;
  return normalizeMessage({ ...src, id, createdAt: src.createdAt ?? src.at });
}

function SlashMenu({ query, active, onPick }: { query: string; active: number; onPick(name: string): void }) {
  const { t } = useTranslation();
  const matches = COMMANDS.filter((c) => c.startsWith(query));
  if (!matches.length) return null;
  return (
    <ul className="slash-menu" role="listbox" id="slash-menu" aria-label={t('chat.commandsLabel')}>
      {matches.map((c, i) => (
        <li
          key={c}
          id={`cmd-${c}`}
          role="option"
          aria-selected={i === active % matches.length}
          className={i === active % matches.length ? 'active' : ''}
          onMouseDown={(e) => {
            e.preventDefault();
            onPick(c);
          }}
        >
          <code>{t(`chat.commands.${c}.usage`)}</code>
          <span>{t(`chat.commands.${c}.help`)}</span>
        </li>
      ))}
    </ul>
  );
}

function ConfirmCard({ m, onSend, outcome }: { m: ChatMessage; onSend(text: string): void; outcome: CodeOutcome | undefined }) {
  const { t } = useTranslation();
  const c = confirmationOf(m)!;
  const expired = useExpired(m.createdAt);
  // the conversation decides, so a reload or another browser shows the same card
  const state: CardStatus = outcome === 'confirmed' ? 'confirmed' : outcome === 'cancelled' ? 'dismissed' : expired || outcome === 'refused' ? 'expired' : 'open';
  return (
    <div className="confirm-card" data-testid="pay-confirm" data-state={state}>
      <strong>{t('chat.confirmTitle')}</strong>
      {c.to || c.amount || c.fee ? (
        <dl>
          {c.to ? (
            <>
              <dt>{t('wallet.to')}</dt>
              <dd>{c.to}</dd>
            </>
          ) : null}
          {c.amount ? (
            <>
              <dt>{t('wallet.amount')}</dt>
              <dd>{formatAmount(c.amount)} USDC</dd>
            </>
          ) : null}
          {c.fee ? (
            <>
              <dt>{t('wallet.fee')}</dt>
              <dd>{c.fee}</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {state === 'open' ? (
        <div className="row">
          <Button onClick={() => onSend(`/confirm ${c.code}`)}>{t('chat.confirmPay')}</Button>
          <Button variant="ghost" onClick={() => onSend(`/cancel ${c.code}`)}>
            {t('common.cancel')}
          </Button>
        </div>
      ) : (
        <p className="muted">{state === 'confirmed' ? t('chat.confirmSent') : state === 'expired' ? t('errors:code_expired.title') : t('chat.confirmDismissed')}</p>
      )}
    </div>
  );
}

interface CardProps {
  outcomes: Map<string, CodeOutcome>;
}

function Bubble({ m, pet, unreadStart, onSend, cards }: { m: ChatMessage; pet: Pet; unreadStart: boolean; onSend(text: string): void; cards: CardProps }) {
  const { t } = useTranslation();
  const timeZone = useProfileTimeZone();
  const code = confirmationOf(m)?.code.toUpperCase();
  return (
    <>
      {unreadStart ? (
        <div className="unread-divider" role="separator" data-testid="unread-divider">
          <span>{t('chat.newMessages')}</span>
        </div>
      ) : null}
      <div className={`msg msg-${m.sender}${m.pending ? ' pending' : ''}`} data-testid={`msg-${m.sender}`}>
        {m.sender === 'pet' ? (
          <div className="msg-avatar" aria-hidden="true">
            <PetSvg stage={pet.stage} mood={(str(m.metadata.mood) as Pet['mood']) ?? pet.mood} size={36} />
          </div>
        ) : null}
        <div className="msg-bubble">
          <span className="sr-only">{t(`chat.sender.${m.sender}`, { name: pet.name })}: </span>
          <p className="msg-text">{m.content}</p>
          {code ? <ConfirmCard m={m} onSend={onSend} outcome={cards.outcomes.get(code)} /> : null}
          <span className="msg-meta">
            {m.pending ? t('chat.sending') : formatTime(m.createdAt, timeZone)}
            {typeof m.metadata.xpGained === 'number' && m.metadata.xpGained > 0 ? ` · ${t('pet.xpGained', { xp: m.metadata.xpGained })}` : ''}
          </span>
        </div>
      </div>
    </>
  );
}

/** Reads a text/event-stream body, calling onEvent for each event. */
async function readEventStream(res: Response, onEvent: (event: string, data: string) => void): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let idx: number;
    while ((idx = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const raw = buffer.slice(0, idx);
      buffer = buffer.slice(idx).replace(/^\r?\n\r?\n/, '');
      let event = 'message';
      const data: string[] = [];
      for (const line of raw.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(event, data.join('\n'));
    }
  }
}

function ChatRoom({ pet }: { pet: Pet }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const [live, setLive] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState<string | null>(null);
  const [typing, setTyping] = useState(false);
  const [input, setInput] = useState('');
  const [menuIndex, setMenuIndex] = useState(0);
  const [menuClosed, setMenuClosed] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const topSentinel = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  /** Set once the first scroll to the newest message has settled: until then the top sentinel loads nothing. */
  const settled = useRef(false);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const unreadFrom = useRef<string | null | undefined>(undefined);

  const history = useInfiniteQuery({
    queryKey: ['messages', pet.id],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => {
      const page = listOf(await api(`/pets/${pet.id}/messages`, { query: { limit: PAGE, cursor: pageParam ?? undefined } }), 'messages');
      return { ...page, items: page.items.map(normalizeMessage) };
    },
    getNextPageParam: (last) => (last.hasMore ? last.nextCursor : null),
    staleTime: Infinity,
  });

  const messages = useMemo(() => {
    const map = new Map<string, ChatMessage>();
    for (const page of history.data?.pages ?? []) for (const m of page.items) map.set(m.id, m);
    for (const m of live) if (!map.has(m.id) || !m.pending) map.set(m.id, m);
    return [...map.values()].sort(byTime);
  }, [history.data, live]);
  const cards = useMemo<CardProps>(() => ({ outcomes: codeOutcomes(messages) }), [messages]);

  useEffect(() => {
    if (unreadFrom.current !== undefined || !history.data) return;
    const first = messages.find((m) => m.sender !== 'user' && !m.readAt);
    unreadFrom.current = first?.id ?? null;
    if (first) {
      void api(`/pets/${pet.id}/messages/read`, { body: { all: true } })
        .then(() => qc.invalidateQueries({ queryKey: ['unread'] }))
        .catch(() => undefined);
    }
  }, [history.data, messages, pet.id, qc]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, streaming, typing]);

  // Rows lay out lazily (content-visibility), so the history grows after the first scroll to the bottom:
  // keep it pinned there until its height stops changing or the user scrolls, and only then let the top
  // sentinel load older pages (it would otherwise see the top first and load every page).
  const loaded = history.data !== undefined;
  useEffect(() => {
    const el = scroller.current;
    if (!loaded || !el || settled.current) return;
    let frame = 0;
    let frames = 0;
    let stable = 0;
    let height = -1;
    const settle = () => {
      cancelAnimationFrame(frame);
      settled.current = true;
    };
    const pin = () => {
      el.scrollTop = el.scrollHeight;
      stable = el.scrollHeight === height ? stable + 1 : 0;
      height = el.scrollHeight;
      if (stable >= 10 || ++frames >= 120) {
        stickToBottom.current = true;
        settle();
      } else frame = requestAnimationFrame(pin);
    };
    const userScrolls = ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const;
    for (const type of userScrolls) el.addEventListener(type, settle, { passive: true });
    frame = requestAnimationFrame(pin);
    return () => {
      cancelAnimationFrame(frame);
      for (const type of userScrolls) el.removeEventListener(type, settle);
    };
  }, [loaded]);

  const loadOlder = useCallback(() => {
    const el = scroller.current;
    if (!el || !history.hasNextPage || history.isFetchingNextPage) return;
    anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    void history.fetchNextPage();
  }, [history]);

  useEffect(() => {
    const el = topSentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => settled.current && !stickToBottom.current && entries.some((e) => e.isIntersecting) && loadOlder(), { root: scroller.current, rootMargin: '200px 0px 0px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [loadOlder]);

  const addLive = useCallback((items: ChatMessage[]) => {
    if (!items.length) return;
    setLive((prev) => {
      let next = prev;
      for (const m of items) {
        // the socket's copy of a message carries no metadata: keep what the answer already gave
        const known = next.find((x) => x.id === m.id);
        next = next.filter((x) => !(x.pending && x.sender === m.sender && x.content === m.content) && x.id !== m.id);
        next = [...next, known ? { ...known, ...m, metadata: { ...known.metadata, ...m.metadata } } : m];
      }
      return next;
    });
  }, []);

  useSocketEvent('chat:message', (payload) => {
    const m = messageFromEvent(payload);
    const petId = str(payload.petId) ?? m?.petId;
    if (!m || (petId && petId !== pet.id)) return;
    addLive([m]);
    if (m.sender !== 'user') setTyping(false);
    if (m.sender !== 'user' && document.visibilityState === 'visible') {
      // the badge's count is stale once this read lands (it is fetched again off the chat page)
      void api(`/pets/${pet.id}/messages/read`, { body: { messageIds: [m.id] } })
        .then(() => qc.invalidateQueries({ queryKey: ['unread'] }))
        .catch(() => undefined);
    }
  });
  useSocketEvent('chat:typing', (payload) => {
    const petId = str(payload.petId);
    if (petId && petId !== pet.id) return;
    setTyping(payload.typing !== false && obj(payload.data).typing !== false);
  });

  const send = useCallback(
    async (text: string) => {
      const content = text.trim();
      if (!content) return;
      setSendError(null);
      stickToBottom.current = true;
      const temp: ChatMessage = { id: `pending-${Date.now()}`, petId: pet.id, sender: 'user', content, createdAt: new Date().toISOString(), readAt: null, metadata: {}, pending: true };
      setLive((prev) => [...prev, temp]);
      setTyping(true);
      try {
        const res = await rawRequest(`/pets/${pet.id}/messages`, { body: { content }, headers: { accept: 'text/event-stream' } });
        if ((res.headers.get('content-type') ?? '').includes('text/event-stream') && res.body) {
          let text = '';
          setStreaming('');
          await readEventStream(res, (event, data) => {
            if (event === 'reset') {
              text = '';
              setStreaming('');
              return;
            }
            if (event === 'error') {
              setSendError(t('errors.generic.detail'));
              return;
            }
            let parsed: unknown = data;
            try {
              parsed = JSON.parse(data);
            } catch {
              parsed = data;
            }
            const found = typeof parsed === 'object' ? messagesIn(parsed) : [];
            if (found.length) {
              addLive(found);
              if (found.some((m) => m.sender !== 'user')) setStreaming(null);
              return;
            }
            const o = obj(parsed);
            const delta = typeof parsed === 'string' ? (parsed === '[DONE]' ? '' : parsed) : str(o.delta ?? o.token ?? o.text ?? o.chunk) ?? '';
            if (delta) {
              text += delta;
              setStreaming(text);
              setTyping(false);
            }
          });
          setStreaming(null);
        } else {
          addLive(messagesIn(await res.json()));
        }
      } catch (err) {
        setLive((prev) => prev.filter((m) => m.id !== temp.id));
        setInput((cur) => cur || content);
        const e = errorText(err);
        setSendError(e.detail || e.title);
      } finally {
        setTyping(false);
        setStreaming(null);
        void qc.invalidateQueries({ queryKey: ['pets'] });
      }
    },
    [addLive, errorText, pet.id, qc, t],
  );

  const slashQuery = input.startsWith('/') && !input.includes(' ') && !menuClosed ? input.slice(1).toLowerCase() : null;
  const matches = slashQuery !== null ? COMMANDS.filter((c) => c.startsWith(slashQuery)) : [];
  const pick = (name: string) => {
    setInput(`/${name} `);
    setMenuIndex(0);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (matches.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setMenuIndex((i) => (i + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey && slashQuery !== matches[menuIndex % matches.length])) {
        e.preventDefault();
        pick(matches[menuIndex % matches.length]);
        return;
      }
      if (e.key === 'Escape') {
        setMenuClosed(true);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      const text = input;
      setInput('');
      void send(text);
    }
  };

  return (
    <div className="chat">
      <header className="chat-head">
        <PetSvg stage={pet.stage} mood={pet.mood} size={44} />
        <div>
          <h1>{pet.name}</h1>
          <small className="muted" aria-live="polite">
            {typing || streaming !== null ? t('chat.typing', { name: pet.name }) : t(`moods.${pet.mood}`)}
          </small>
        </div>
        <button className="icon-btn" onClick={() => pick('help')} aria-label={t('chat.showCommands')} title={t('chat.showCommands')}>
          ?
        </button>
      </header>
      <div
        className="chat-scroll"
        ref={scroller}
        role="log"
        aria-live="polite"
        aria-label={t('chat.historyLabel', { name: pet.name })}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          if (settled.current) stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
      >
        <div ref={topSentinel} className="chat-top">
          {history.isFetchingNextPage ? <Spinner label={t('chat.loadingOlder')} /> : history.hasNextPage ? (
            <Button variant="ghost" onClick={loadOlder}>
              {t('chat.loadOlder')}
            </Button>
          ) : history.data && messages.length ? (
            <p className="muted small">{t('chat.beginning')}</p>
          ) : null}
        </div>
        {history.isPending ? <Spinner /> : null}
        {history.error ? <ErrorBox error={history.error} onRetry={() => void history.refetch()} /> : null}
        {history.data && !messages.length ? <Empty icon="wave" title={t('chat.emptyTitle', { name: pet.name })} hint={t('chat.emptyHint')} /> : null}
        {messages.map((m) => (
          <Bubble key={m.id} m={m} pet={pet} unreadStart={unreadFrom.current === m.id} onSend={(text) => void send(text)} cards={cards} />
        ))}
        {streaming ? (
          <div className="msg msg-pet streaming">
            <div className="msg-bubble">
              <p className="msg-text">{streaming}</p>
            </div>
          </div>
        ) : typing ? (
          <div className="msg msg-pet" aria-hidden="true">
            <div className="msg-bubble typing-dots">
              <i />
              <i />
              <i />
            </div>
          </div>
        ) : null}
      </div>
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          const text = input;
          setInput('');
          void send(text);
        }}
      >
        {matches.length ? <SlashMenu query={slashQuery ?? ''} active={menuIndex} onPick={pick} /> : null}
        {sendError ? (
          <p className="composer-error" role="alert">
            {sendError}
          </p>
        ) : null}
        <label htmlFor="chat-input" className="sr-only">
          {t('chat.inputLabel')}
        </label>
        <textarea
          id="chat-input"
          rows={1}
          value={input}
          maxLength={2000}
          placeholder={t('chat.placeholder', { name: pet.name })}
          onChange={(e) => {
            setInput(e.target.value);
            setMenuClosed(false);
            setMenuIndex(0);
          }}
          onKeyDown={onKeyDown}
          aria-autocomplete="list"
          aria-controls={matches.length ? 'slash-menu' : undefined}
          aria-activedescendant={matches.length ? `cmd-${matches[menuIndex % matches.length]}` : undefined}
          data-testid="chat-input"
        />
        <Button type="submit" disabled={!input.trim()} aria-label={t('chat.send')}>
          <Icon name="send" size={20} />
        </Button>
      </form>
    </div>
  );
}

export function ChatScreen() {
  const { t } = useTranslation();
  const { pet, query } = useSelectedPet();
  if (query.isPending) return <Spinner />;
  if (query.error) return <ErrorBox error={query.error} onRetry={() => void query.refetch()} />;
  if (!pet)
    return (
      <Empty icon="egg" title={t('chat.noPet')}>
        <Link to="/" className="btn btn-primary">
          {t('pet.hatch')}
        </Link>
      </Empty>
    );
  return <ChatRoom key={pet.id} pet={pet} />;
}
