import type { Mood, Stage } from '../model';

const PALETTE: Record<Stage, { body: string; belly: string; accent: string }> = {
  egg: { body: '#fff4e0', belly: '#ffd9a8', accent: '#ff9f6b' },
  baby: { body: '#ffc78f', belly: '#ffe6c7', accent: '#ff8a65' },
  child: { body: '#ffb36b', belly: '#ffe0b8', accent: '#ff7a59' },
  teen: { body: '#f59e72', belly: '#ffd9bd', accent: '#e0604a' },
  adult: { body: '#e98a6d', belly: '#ffd4c2', accent: '#c94f3d' },
  unicorn: { body: '#fbe9ff', belly: '#ffffff', accent: '#b57bff' },
};

const SIZE: Record<Stage, number> = { egg: 46, baby: 40, child: 46, teen: 52, adult: 58, unicorn: 58 };

function Eyes({ mood, y }: { mood: Mood; y: number }) {
  const ink = '#3b2a4a';
  if (mood === 'tired' || mood === 'sick')
    return (
      <g stroke={ink} strokeWidth="3" strokeLinecap="round" fill="none">
        <path d={`M78 ${y} q6 ${mood === 'sick' ? -4 : 4} 12 0`} />
        <path d={`M110 ${y} q6 ${mood === 'sick' ? -4 : 4} 12 0`} />
      </g>
    );
  if (mood === 'ecstatic')
    return (
      <g stroke={ink} strokeWidth="3.5" strokeLinecap="round" fill="none">
        <path d={`M78 ${y + 2} q6 -9 12 0`} />
        <path d={`M110 ${y + 2} q6 -9 12 0`} />
      </g>
    );
  return (
    <g className="pet-eyes">
      <ellipse cx="84" cy={y} rx="6" ry={mood === 'sad' ? 6 : 7.5} fill={ink} />
      <ellipse cx="116" cy={y} rx="6" ry={mood === 'sad' ? 6 : 7.5} fill={ink} />
      <circle cx="86" cy={y - 3} r="2.2" fill="#fff" />
      <circle cx="118" cy={y - 3} r="2.2" fill="#fff" />
      {mood === 'sad' ? (
        <g stroke={ink} strokeWidth="2.5" strokeLinecap="round">
          <path d={`M76 ${y - 9} l12 -5`} />
          <path d={`M124 ${y - 9} l-12 -5`} />
        </g>
      ) : null}
    </g>
  );
}

function Mouth({ mood, y }: { mood: Mood; y: number }) {
  const ink = '#3b2a4a';
  switch (mood) {
    case 'ecstatic':
      return <path d={`M88 ${y} q12 16 24 0 z`} fill="#c9405a" stroke={ink} strokeWidth="2.5" strokeLinejoin="round" />;
    case 'happy':
      return <path d={`M90 ${y} q10 10 20 0`} stroke={ink} strokeWidth="3" fill="none" strokeLinecap="round" />;
    case 'hungry':
      return (
        <g>
          <ellipse cx="100" cy={y + 3} rx="7" ry="6" fill="#6b2a3a" />
          <path d={`M104 ${y + 7} q2 8 -1 10`} stroke="#7fc8ff" strokeWidth="3" fill="none" strokeLinecap="round" className="pet-drool" />
        </g>
      );
    case 'sad':
    case 'sick':
      return <path d={`M90 ${y + 6} q10 -9 20 0`} stroke={ink} strokeWidth="3" fill="none" strokeLinecap="round" />;
    case 'tired':
      return <ellipse cx="100" cy={y + 3} rx="4" ry="3" fill={ink} />;
    default:
      return <path d={`M92 ${y + 1} q8 5 16 0`} stroke={ink} strokeWidth="3" fill="none" strokeLinecap="round" />;
  }
}

function Extras({ mood }: { mood: Mood }) {
  if (mood === 'tired')
    return (
      <g className="pet-zzz" fill="#7a6b99" fontWeight="700" fontFamily="inherit">
        <text x="146" y="52" fontSize="16">z</text>
        <text x="158" y="38" fontSize="12">z</text>
      </g>
    );
  if (mood === 'sad') return <path className="pet-tear" d="M80 110 q-4 8 0 11 q4 -3 0 -11z" fill="#7fc8ff" />;
  if (mood === 'ecstatic')
    return (
      <g className="pet-sparkles" fill="#ffd23f">
        <path d="M40 50 l3 8 8 3 -8 3 -3 8 -3 -8 -8 -3 8 -3z" />
        <path d="M160 40 l2 6 6 2 -6 2 -2 6 -2 -6 -6 -2 6 -2z" />
        <path d="M166 120 l2 5 5 2 -5 2 -2 5 -2 -5 -5 -2 5 -2z" />
      </g>
    );
  if (mood === 'hungry')
    return (
      <g className="pet-thought">
        <circle cx="150" cy="60" r="4" fill="#fff" stroke="#e7d6c6" />
        <circle cx="160" cy="44" r="14" fill="#fff" stroke="#e7d6c6" />
        <path d="M160 38c-2-2-8-2-9 3-1 4 2 10 5 11 2 0 3-1 4-1s2 1 4 1c3-1 6-7 5-11-1-5-7-5-9-3zM160 38c0-3 1-5 4-6" fill="#ff6b6b" stroke="#c94f3d" strokeWidth="1.2" />
      </g>
    );
  return null;
}

/**
 * The pet, drawn per stage; CSS animates it by mood (bounce, breathe, droop, shiver).
 * With a `label` it is an image of that name (role=img); without one it is decoration (the pet's name and
 * mood are written next to it, as in the chat header and the message avatars) and hidden from assistive
 * technology: a role=img without a name is an unnamed image to a screen reader (axe svg-img-alt).
 */
export function PetSvg({ stage, mood, label, size = 220 }: { stage: Stage; mood: Mood; label?: string; size?: number }) {
  const p = PALETTE[stage];
  const r = SIZE[stage];
  const cy = 112;
  const ink = '#3b2a4a';
  const sick = mood === 'sick';
  const body = sick ? '#cfe3b5' : p.body;
  return (
    <svg className={`pet pet-${stage} mood-${mood}`} viewBox="0 0 200 200" width={size} height={size} {...(label ? { role: 'img', 'aria-label': label } : { 'aria-hidden': true })}>
      <ellipse className="pet-shadow" cx="100" cy="178" rx={r * 0.9} ry="8" fill="rgba(59,42,74,.14)" />
      <g className="pet-body">
        {stage === 'egg' ? (
          <g className="pet-egg">
            <path d="M100 52 C 136 52 150 112 146 136 C 142 162 122 174 100 174 C 78 174 58 162 54 136 C 50 112 64 52 100 52 Z" fill={p.body} stroke="#e7cba6" strokeWidth="3" />
            <circle cx="82" cy="96" r="8" fill={p.belly} />
            <circle cx="118" cy="126" r="10" fill={p.belly} />
            <circle cx="90" cy="146" r="6" fill={p.belly} />
            <path d="M64 118 l12 -8 10 10 12 -10 10 10 12 -10 12 8" stroke={p.accent} strokeWidth="3" fill="none" strokeLinejoin="round" className="pet-crack" />
            {mood === 'sick' || mood === 'sad' ? null : (
              <g>
                <circle cx="88" cy="132" r="3.5" fill={ink} />
                <circle cx="112" cy="132" r="3.5" fill={ink} />
              </g>
            )}
          </g>
        ) : (
          <g>
            {stage === 'teen' || stage === 'adult' || stage === 'unicorn' ? (
              <path className="pet-tail" d={`M${100 + r - 6} ${cy + 20} q30 -6 28 -34 q-2 -10 -10 -6`} stroke={p.accent} strokeWidth="9" fill="none" strokeLinecap="round" />
            ) : null}
            {stage !== 'baby' ? (
              <g className="pet-ears" fill={p.body} stroke={p.accent} strokeWidth="3" strokeLinejoin="round">
                <path d={`M${100 - r * 0.7} ${cy - r * 0.55} l-8 -${r * 0.75} l${r * 0.55} ${r * 0.35} z`} />
                <path d={`M${100 + r * 0.7} ${cy - r * 0.55} l8 -${r * 0.75} l-${r * 0.55} ${r * 0.35} z`} />
              </g>
            ) : (
              <path d={`M100 ${cy - r} q-6 -12 4 -16`} stroke={p.accent} strokeWidth="4" fill="none" strokeLinecap="round" />
            )}
            {stage === 'unicorn' ? (
              <g>
                <path d={`M${100 - r * 0.55} ${cy - r * 0.75} q-20 10 -16 40 q8 -14 20 -22`} fill="#ffb3d9" />
                <path d={`M${100 - r * 0.2} ${cy - r * 0.95} q-24 0 -30 22 q14 -8 26 -6`} fill="#9fd8ff" />
                <path className="pet-horn" d={`M92 ${cy - r + 4} L100 ${cy - r - 36} L108 ${cy - r + 4} Z`} fill="#ffd23f" stroke="#e0a800" strokeWidth="2" strokeLinejoin="round" />
              </g>
            ) : null}
            <ellipse cx="100" cy={cy} rx={r} ry={r * 0.92} fill={body} stroke={sick ? '#9bbf7a' : p.accent} strokeWidth="3" />
            <ellipse cx="100" cy={cy + r * 0.35} rx={r * 0.6} ry={r * 0.45} fill={p.belly} />
            <g className="pet-feet" fill={p.accent}>
              <ellipse cx={100 - r * 0.45} cy={cy + r * 0.88} rx="10" ry="6" />
              <ellipse cx={100 + r * 0.45} cy={cy + r * 0.88} rx="10" ry="6" />
            </g>
            <circle cx="74" cy={cy + 6} r="6" fill="#ff8fa3" opacity=".55" />
            <circle cx="126" cy={cy + 6} r="6" fill="#ff8fa3" opacity=".55" />
            <Eyes mood={mood} y={cy - 10} />
            <Mouth mood={mood} y={cy + 8} />
          </g>
        )}
      </g>
      <Extras mood={mood} />
    </svg>
  );
}
