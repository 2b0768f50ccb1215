import type { AppDeps } from '../platform/deps.js';
import { translate } from '../platform/i18n/i18n.service.js';
import { INTERACTIONS, PET_NAME_MAX, type InteractionType } from '../pets/pets.rules.js';
import { ChatCommandUsageError, type ChatCommand, type ChatCommandContext } from './chat.commands.js';
import { fitsLength, hasVisibleText, isPrintableLine } from '../platform/http/http.text.js';

function noArgs(name: string, args: string[]): void {
  if (args.length) throw new ChatCommandUsageError('chat.commands.noArgs', { name });
}

/** The chat's own commands: /help [command], /feed, /play, /groom, /stats, /evolve, /rename <name>. */
export function builtinCommands(deps: AppDeps): ChatCommand[] {
  const pets = () => deps.services.pets;
  const t = (ctx: ChatCommandContext, key: string, params: Record<string, unknown> = {}) => translate(ctx.locale, key, params);

  const help: ChatCommand = {
    name: 'help',
    helpKey: 'chat.commands.help.help',
    usageKey: 'chat.commands.help.usage',
    async run(args, ctx) {
      if (args.length > 1) throw new ChatCommandUsageError('chat.commands.tooManyArgs', { name: 'help' });
      if (args.length === 1) {
        const name = args[0].replace(/^\//, '').toLowerCase();
        const command = deps.commands.get(name);
        if (!command) return { sender: 'system', content: t(ctx, 'chat.commands.help.notFound', { name }) };
        return { sender: 'system', content: `${t(ctx, command.usageKey)}\n${t(ctx, command.helpKey)}` };
      }
      const lines = deps.commands.list().map((c) => `${t(ctx, c.usageKey)} — ${t(ctx, c.helpKey)}`);
      return { sender: 'system', content: [t(ctx, 'chat.commands.help.header'), ...lines, t(ctx, 'chat.commands.help.footer')].join('\n') };
    },
  };

  const interaction = (type: InteractionType): ChatCommand => ({
    name: type,
    helpKey: `chat.commands.${type}.help`,
    usageKey: `chat.commands.${type}.usage`,
    async run(args, ctx) {
      noArgs(type, args);
      const { xpGained, pet } = await pets().interact(ctx, ctx.petId, type);
      return { sender: 'pet', content: t(ctx, `chat.commands.${type}.done`, { xp: xpGained }), metadata: { xpGained, mood: pet.mood } };
    },
  });

  const stats: ChatCommand = {
    name: 'stats',
    helpKey: 'chat.commands.stats.help',
    usageKey: 'chat.commands.stats.usage',
    async run(args, ctx) {
      noArgs('stats', args);
      const pet = await pets().get(ctx, ctx.petId);
      const content = t(ctx, 'chat.commands.stats.text', {
        name: pet.name,
        stage: t(ctx, `pets.stages.${pet.stage}`),
        level: pet.level,
        xp: pet.xp,
        mood: t(ctx, `pets.moods.${pet.mood}`),
        ...pet.stats,
        streak: pet.streak.current,
        longest: pet.streak.longest,
      });
      return { sender: 'system', content, metadata: { mood: pet.mood } };
    },
  };

  const evolve: ChatCommand = {
    name: 'evolve',
    helpKey: 'chat.commands.evolve.help',
    usageKey: 'chat.commands.evolve.usage',
    async run(args, ctx) {
      noArgs('evolve', args);
      const status = await pets().evolution(ctx, ctx.petId);
      if (!status.next) return { sender: 'pet', content: t(ctx, 'chat.commands.evolve.max') };
      if (!status.next.ready) {
        const missing = new Intl.ListFormat(ctx.locale, { type: 'conjunction' }).format(
          status.next.requirements
            .filter((r) => !r.met)
            .map((r) => t(ctx, `pets.requirements.${r.kind}`, { current: r.current, required: r.required })),
        );
        return { sender: 'pet', content: t(ctx, 'chat.commands.evolve.notReady', { stage: t(ctx, `pets.stages.${status.next.stage}`), missing }) };
      }
      const { pet, from, to } = await pets().evolve(ctx, ctx.petId);
      return {
        sender: 'pet',
        content: t(ctx, 'chat.commands.evolve.done', { name: pet.name, from: t(ctx, `pets.stages.${from}`), to: t(ctx, `pets.stages.${to}`) }),
        metadata: { mood: pet.mood },
      };
    },
  };

  const rename: ChatCommand = {
    name: 'rename',
    helpKey: 'chat.commands.rename.help',
    usageKey: 'chat.commands.rename.usage',
    async run(args, ctx) {
      const name = args.join(' ').trim();
      if (!hasVisibleText(name)) throw new ChatCommandUsageError('chat.commands.rename.missing');
      if (!fitsLength(name, PET_NAME_MAX) || !isPrintableLine(name)) throw new ChatCommandUsageError('chat.commands.rename.invalid');
      const pet = await pets().rename(ctx, ctx.petId, name);
      return { sender: 'pet', content: t(ctx, 'chat.commands.rename.done', { name: pet.name }) };
    },
  };

  return [help, ...INTERACTIONS.map(interaction), stats, evolve, rename];
}
