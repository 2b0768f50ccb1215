import type { DomainModule } from '../platform/modules.js';
import { builtinCommands } from './chat.builtins.js';
import { OpenAIProvider } from './chat.openai.js';
import { chatRoutes } from './chat.routes.js';
import { ChatService } from './chat.service.js';

declare module '../platform/modules.js' {
  interface Services {
    chat: ChatService;
  }
}

/** Chat: the service (deps.services.chat), the built-in slash commands and the message routes. Needs pets. */
export const chatModule: DomainModule = {
  name: 'chat',
  setup(deps) {
    const { OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_TIMEOUT_MS } = deps.config;
    const provider = OPENAI_API_KEY
      ? new OpenAIProvider({ apiKey: OPENAI_API_KEY, baseURL: OPENAI_BASE_URL, model: OPENAI_MODEL, timeoutMs: OPENAI_TIMEOUT_MS })
      : null;
    deps.services.chat = new ChatService(deps, deps.services.pets, provider);
    deps.events.subscribe({ name: 'chat.erase-deleted-account', types: ['account.deleted'], handle: (event, trx) => deps.services.chat.eraseUser(trx, (event.data as { userId: string }).userId) });
    for (const command of builtinCommands(deps)) deps.commands.register(command);
  },
  routes: chatRoutes,
};
