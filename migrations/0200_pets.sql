-- Pets: stats are stored as of stats_at and decay is computed from elapsed time on every read.
-- Days (streak_day, xp_day, streak_risk_day) are 'YYYY-MM-DD' in the owner's time zone.
create table pets (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 40),
  personality text[] not null,
  stage text not null default 'egg' check (stage in ('egg', 'baby', 'child', 'teen', 'adult', 'unicorn')),
  xp integer not null default 0 check (xp >= 0),
  happiness double precision not null check (happiness between 0 and 100),
  health double precision not null check (health between 0 and 100),
  energy double precision not null check (energy between 0 and 100),
  stats_at timestamptz not null,
  mood text not null default 'content',
  last_interaction_at timestamptz,
  last_fed_at timestamptz,
  last_played_at timestamptz,
  last_groomed_at timestamptz,
  streak integer not null default 0 check (streak >= 0),
  longest_streak integer not null default 0 check (longest_streak >= 0),
  streak_day text,
  xp_day text,
  xp_today integer not null default 0,
  vacation_start timestamptz,
  vacation_until timestamptz,
  streak_risk_day text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  deleted_at timestamptz
);
create index pets_user_idx on pets (user_id, created_at, id) where deleted_at is null;
create index pets_streak_idx on pets (id) where deleted_at is null and streak > 0;

-- The pet's timeline: interactions, mood changes, evolutions, vacations, lost streaks, renames.
create table pet_history (
  id uuid primary key,
  pet_id uuid not null references pets (id) on delete cascade,
  kind text not null check (kind in ('created', 'interaction', 'mood', 'evolution', 'vacation', 'streak_lost', 'renamed')),
  data jsonb not null default '{}',
  created_at timestamptz not null
);
create index pet_history_pet_idx on pet_history (pet_id, created_at desc, id desc);
