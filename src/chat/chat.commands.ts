import type { Locale } from '../platform/i18n/i18n.service.js';
import type { AuthUser } from '../platform/http/http.types.js';
import type { ActorContext } from '../platform/http/http.context.js';

/** Who typed the command, to which pet, in which language. */
export interface ChatCommandContext extends ActorContext {
  user: AuthUser;
  petId: string;
  locale: Locale;
}

/** What the pet (or system) answers; content is plain text, never HTML. */
export interface ChatCommandReply {
  content: string;
  sender?: 'pet' | 'system';
  metadata?: Record<string, unknown>;
}

export interface ChatCommand {
  /** Name without the slash, lowercase: "pay". */
  name: string;
  /** i18n keys: `<helpKey>` one-line description, `<usageKey>` e.g. "/pay <to> <amount> [token]". */
  helpKey: string;
  usageKey: string;
  /** Validates the whitespace-split arguments; throw ChatCommandUsageError for a helpful reply. */
  run(args: string[], ctx: ChatCommandContext): Promise<ChatCommandReply>;
}

/**
 * A command could not run: the chat answers with this localized message, and with the usage line when
 * the arguments were at fault (`withUsage: false` for a refusal of well-formed ones, such as a balance).
 */
export class ChatCommandUsageError extends Error {
  constructor(
    readonly messageKey: string,
    readonly params: Record<string, unknown> = {},
    readonly withUsage = true,
  ) {
    super(messageKey);
  }
}

/** The slash-command registry: chat provides the built-ins, other domains (wallets…) add theirs in setup. */
export class ChatCommandRegistry {
  private readonly commands = new Map<string, ChatCommand>();

  register(command: ChatCommand): void {
    const name = command.name.toLowerCase();
    if (this.commands.has(name)) throw new Error(`chat command /${name} registered twice`);
    this.commands.set(name, command);
  }

  get(name: string): ChatCommand | undefined {
    return this.commands.get(name.toLowerCase());
  }

  list(): ChatCommand[] {
    return [...this.commands.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
