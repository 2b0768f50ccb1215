import { Icon, type IconName } from '../components/Icon';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { formatWait } from '../duration';
import { currentLocale } from '../i18n';
import { PetSvg } from '../components/PetSvg';
import { Badge, Button, Card, Empty, ErrorBox, Field, fieldErrors, Meter, Spinner, useErrorText, useNow } from '../components/ui';
import { INTERACTIONS, normalizeEvolution, normalizePet, obj, STAGES, type Interaction, type Pet, type Stage } from '../model';
import { canAdoptAnother, MAX_PETS } from '../petLimit';
import { PET_NAME_INPUT_MAX, useSelectedPet } from '../pets';
import { Link } from '../router';
import { useSocketEvent } from '../socket';

const ICONS: Record<Interaction, IconName> = { feed: 'apple', play: 'ball', groom: 'sparkle' };

function CreatePet({ onCreated }: { onCreated(pet: Pet): void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const m = useMutation({
    mutationFn: async () => normalizePet(await api('/pets', { body: { name: name.trim() } })),
    onSuccess: async (pet) => {
      await qc.invalidateQueries({ queryKey: ['pets'] });
      onCreated(pet);
    },
  });
  return (
    <Card className="create-pet">
      <div className="create-pet-art">
        <PetSvg stage="egg" mood="content" label={t('pet.eggLabel')} size={180} />
      </div>
      <h1>{t('pet.createTitle')}</h1>
      <p className="muted">{t('pet.createSubtitle')}</p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) m.mutate();
        }}
      >
        <Field label={t('pet.nameLabel')} value={name} maxLength={PET_NAME_INPUT_MAX} required onChange={(e) => setName(e.target.value)} placeholder={t('pet.namePlaceholder')} name="petName" error={fieldErrors(m.error).name} />
        {m.error ? <ErrorBox error={m.error} shown={['name']} /> : null}
        <Button type="submit" busy={m.isPending} disabled={!name.trim()} className="btn-block">
          {t('pet.hatch')}
        </Button>
      </form>
    </Card>
  );
}

function Streak({ days, longest, atRisk, hoursLeft }: { days: number; longest: number; atRisk: boolean; hoursLeft: number | null }) {
  const { t } = useTranslation();
  const size = days >= 30 ? 'xl' : days >= 7 ? 'l' : days >= 1 ? 'm' : 's';
  return (
    <div className={`streak streak-${size}`} data-testid="streak">
      <span className="flame" aria-hidden="true">
        <Icon name="flame" size={28} />
      </span>
      <div>
        <strong>{t('pet.streakDays', { count: days })}</strong>
        <small className="muted">{t('pet.longest', { count: longest })}</small>
        {atRisk ? (
          <small className="streak-risk" role="status">
            {hoursLeft !== null ? t('pet.streakRiskHours', { count: Math.max(1, Math.round(hoursLeft)) }) : t('pet.streakRisk')}
          </small>
        ) : null}
      </div>
    </div>
  );
}

function Celebration({ stage, name, onClose }: { stage: Stage; name: string; onClose(): void }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="evo-title" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="celebrate">
        <div className="confetti" aria-hidden="true">
          {Array.from({ length: 24 }, (_, i) => (
            <i key={i} style={{ ['--i' as string]: i }} />
          ))}
        </div>
        <PetSvg stage={stage} mood="ecstatic" label={t(`stages.${stage}`)} size={200} />
        <h2 id="evo-title">{t('pet.evolvedTitle')}</h2>
        <p>{t('pet.evolvedBody', { name, stage: t(`stages.${stage}`) })}</p>
        <Button ref={ref} onClick={onClose}>
          {t('pet.yay')}
        </Button>
      </div>
    </div>
  );
}

function XpBar({ pet }: { pet: Pet }) {
  const { t } = useTranslation();
  const evo = useQuery({ queryKey: ['evolution', pet.id, pet.xp, pet.stage], queryFn: async () => normalizeEvolution(await api(`/pets/${pet.id}/evolution`)), retry: false });
  const xpReq = evo.data?.requirements.find((r) => r.kind === 'xp');
  const required = xpReq?.required ?? pet.nextStageXp;
  const next = evo.data ? evo.data.next : pet.nextStage;
  const pct = required ? Math.min(100, Math.max(0, (pet.xp / required) * 100)) : next ? 0 : 100;
  const others = evo.data?.requirements.filter((r) => r.kind !== 'xp') ?? [];
  return (
    <div className="xp">
      <div className="meter-row">
        <span>
          {t('pet.level', { level: pet.level })} · {t('pet.xp', { xp: pet.xp })}
        </span>
        <span className="muted">{next ? (required ? t('pet.toNext', { xp: Math.max(0, required - pet.xp), stage: t(`stages.${next}`) }) : t('pet.nextStage', { stage: t(`stages.${next}`) })) : t('pet.maxStage')}</span>
      </div>
      <div className="xp-track" role="progressbar" aria-label={t('pet.xpProgress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <div className="xp-fill" style={{ width: `${pct}%` }} />
      </div>
      {others.length ? (
        <ul className="requirements" aria-label={t('pet.requirements')}>
          {others.map((r) => (
            <li key={r.kind} className={r.met ? 'met' : ''}>
              <Icon name={r.met ? 'check' : 'clock'} size={14} /> {t(`pet.req.${r.kind}`, { required: r.required, current: Math.floor(r.current), defaultValue: `${r.kind}: ${Math.floor(r.current)}/${r.required}` })}
            </li>
          ))}
        </ul>
      ) : null}
      {evo.data?.ready && !evo.data.automatic ? <EvolveButton pet={pet} /> : null}
    </div>
  );
}

function EvolveButton({ pet }: { pet: Pet }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () => api(`/pets/${pet.id}/evolve`, { method: 'POST', body: {} }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['pets'] }),
  });
  return (
    <>
      <Button className="evolve-btn" busy={m.isPending} onClick={() => m.mutate()}>
        <Icon name="sparkle" size={18} /> {t('pet.evolve')}
      </Button>
      {m.error ? <ErrorBox error={m.error} /> : null}
    </>
  );
}

function Interactions({ pet }: { pet: Pet }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const errorText = useErrorText();
  const now = useNow(1000);
  const [resting, setResting] = useState<Partial<Record<Interaction, string>>>({});
  const [effect, setEffect] = useState<{ type: Interaction; xp: number; key: number } | null>(null);
  const m = useMutation({
    mutationFn: async (type: Interaction) => ({ type, body: await api(`/pets/${pet.id}/interactions`, { body: { type } }) }),
    onSuccess: ({ type, body }) => {
      const o = obj(body);
      setEffect({ type, xp: Number(o.xpGained ?? 0), key: Date.now() });
      setResting((r) => ({ ...r, [type]: undefined }));
      if (o.pet) {
        const updated = normalizePet(o.pet);
        qc.setQueryData<Pet[]>(['pets'], (list) => list?.map((p) => (p.id === updated.id ? updated : p)));
      }
      void qc.invalidateQueries({ queryKey: ['evolution', pet.id] });
    },
    onError: (err, type) => {
      const text = errorText(err);
      setResting((r) => ({ ...r, [type]: text.detail || text.title }));
    },
  });
  return (
    <div className="actions">
      {INTERACTIONS.map((type) => {
        const until = pet.cooldowns[type] ? new Date(pet.cooldowns[type]!).getTime() : 0;
        const left = Math.ceil((until - now) / 1000);
        const note = left > 0 ? t('pet.cooldown', { time: formatWait(left, currentLocale()) }) : resting[type];
        return (
          <button
            key={type}
            className={`action action-${type}${note ? ' cooling' : ''}`}
            onClick={() => m.mutate(type)}
            disabled={left > 0 || (m.isPending && m.variables === type)}
            aria-describedby={note ? `cd-${type}` : undefined}
            data-testid={`action-${type}`}
          >
            <span className="action-icon" aria-hidden="true">
              <Icon name={ICONS[type]} size={30} />
            </span>
            <span>{t(`pet.actions.${type}`)}</span>
            {note ? (
              <small id={`cd-${type}`} className="cooldown" role="status">
                {note}
              </small>
            ) : null}
            {effect?.type === type ? (
              <span key={effect.key} className="float-xp" aria-live="polite">
                {t('pet.xpGained', { xp: effect.xp })}
              </span>
            ) : null}
          </button>
        );
      })}
    </div>
  );
}

function PetView({ pet }: { pet: Pet }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [celebrate, setCelebrate] = useState<Stage | null>(null);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(pet.name);
  const lastStage = useRef<{ id: string; stage: Stage }>({ id: pet.id, stage: pet.stage });
  useEffect(() => {
    const prev = lastStage.current;
    if (prev.id === pet.id && STAGES.indexOf(pet.stage) > STAGES.indexOf(prev.stage)) setCelebrate(pet.stage);
    lastStage.current = { id: pet.id, stage: pet.stage };
  }, [pet.id, pet.stage]);
  useSocketEvent('pet:updated', () => void qc.invalidateQueries({ queryKey: ['pets'] }));
  const rename = useMutation({
    mutationFn: () => api(`/pets/${pet.id}`, { method: 'PATCH', body: { name: name.trim() } }),
    onSuccess: () => {
      setRenaming(false);
      void qc.invalidateQueries({ queryKey: ['pets'] });
    },
  });
  return (
    <div className="pet-home">
      <Card className="pet-stage-card">
        <div className="pet-top">
          <Streak days={pet.streak} longest={pet.longestStreak} atRisk={pet.streakAtRisk} hoursLeft={pet.streakHoursLeft} />
          <Badge tone="info">{t(`stages.${pet.stage}`)}</Badge>
        </div>
        <div className={`pet-art mood-bg-${pet.mood}`}>
          <PetSvg stage={pet.stage} mood={pet.mood} label={t('pet.svgLabel', { name: pet.name, stage: t(`stages.${pet.stage}`), mood: t(`moods.${pet.mood}`) })} />
        </div>
        {renaming ? (
          <form
            className="rename"
            onSubmit={(e) => {
              e.preventDefault();
              rename.mutate();
            }}
          >
            <Field label={t('pet.nameLabel')} value={name} maxLength={PET_NAME_INPUT_MAX} onChange={(e) => setName(e.target.value)} autoFocus />
            <Button type="submit" busy={rename.isPending}>
              {t('common.save')}
            </Button>
            <Button type="button" variant="ghost" onClick={() => setRenaming(false)}>
              {t('common.cancel')}
            </Button>
            {rename.error ? <ErrorBox error={rename.error} /> : null}
          </form>
        ) : (
          <h1 className="pet-name">
            {pet.name}
            <button className="icon-btn" onClick={() => (setName(pet.name), setRenaming(true))} aria-label={t('pet.rename')}>
              <Icon name="pencil" size={18} />
            </button>
          </h1>
        )}
        <p className="mood-line" data-testid="mood">
          {t(`moodLines.${pet.mood}`, { name: pet.name })}
        </p>
        {pet.personality.length ? (
          <p className="traits">
            {pet.personality.map((p) => (
              <Badge key={p}>{t(`traits.${p}`, { defaultValue: p })}</Badge>
            ))}
          </p>
        ) : null}
        <XpBar pet={pet} />
        <Interactions pet={pet} />
      </Card>
      <Card title={t('pet.stats')}>
        <Meter label={t('pet.happiness')} value={pet.happiness} tone="happy" />
        <Meter label={t('pet.health')} value={pet.health} tone="health" />
        <Meter label={t('pet.energy')} value={pet.energy} tone="energy" />
        <Link to="/chat" className="btn btn-secondary btn-block">
          <Icon name="chat" size={18} /> {t('pet.chatWith', { name: pet.name })}
        </Link>
      </Card>
      {celebrate ? <Celebration stage={celebrate} name={pet.name} onClose={() => setCelebrate(null)} /> : null}
    </div>
  );
}

export function PetHome() {
  const { t } = useTranslation();
  const { pets, pet, select, query } = useSelectedPet();
  const [adding, setAdding] = useState(false);
  if (query.isPending) return <Spinner />;
  if (query.error) return <ErrorBox error={query.error} onRetry={() => void query.refetch()} />;
  if (!pets?.length || adding)
    return (
      <>
        {adding ? (
          <Button variant="ghost" onClick={() => setAdding(false)}>
            ← {t('common.back')}
          </Button>
        ) : null}
        <CreatePet
          onCreated={(p) => {
            select(p.id);
            setAdding(false);
          }}
        />
      </>
    );
  if (!pet) return <Empty title={t('pet.none')} />;
  return (
    <>
      {/* a group of buttons, not a tablist: the "+" button and the limit hint sit among the pets, and a click
          switches the pet the whole page shows (no tab panel); the shown pet's chip is aria-current */}
      <div className="pet-switcher" role="group" aria-label={t('pet.yourPets')}>
        {pets.map((p) => (
          <button key={p.id} type="button" aria-current={p.id === pet.id ? 'true' : undefined} className={p.id === pet.id ? 'chip active' : 'chip'} title={p.name} onClick={() => select(p.id)}>
            {p.name}
          </button>
        ))}
        {canAdoptAnother(pets.length) ? (
          <button type="button" className="chip chip-add" onClick={() => setAdding(true)} aria-label={t('pet.addPet')}>
            <Icon name="plus" size={18} />
          </button>
        ) : (
          <small className="muted pet-limit" data-testid="pet-limit">
            {t('pet.limitReached', { max: MAX_PETS })}
          </small>
        )}
      </div>
      <PetView key={pet.id} pet={pet} />
    </>
  );
}
