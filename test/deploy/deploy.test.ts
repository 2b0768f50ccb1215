import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { BUILD_DIR } from '../../scripts/compile-contracts.js';
import { configSchema, loadConfig } from '../../src/config.js';
import { MIGRATIONS_DIR } from '../../src/platform/db/db.migrate.js';
import { LOCALES_DIR } from '../../src/platform/i18n/i18n.service.js';
import { WEB_DIST } from '../../src/web/web.module.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const SETTINGS = new Set(Object.keys(configSchema.shape));
const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; engines: { node: string } };

/** Valid stand-ins for the values deploy/.env.example and secret.example.yaml leave to the operator. */
const FILLED: Record<string, string> = {
  POSTGRES_PASSWORD: 'a-long-random-password',
  DATABASE_URL: 'postgres://streakpets:pw@db.internal:5432/streakpets',
  REDIS_URL: 'redis://cache.internal:6379/0',
  JWT_SECRET: 'j'.repeat(40),
  WALLET_MASTER_KEY: 'ab'.repeat(32),
  TREASURY_PRIVATE_KEY: `0x${'11'.repeat(32)}`,
  SMTP_URL: 'smtps://user:pass@mail.example.com',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return sourceFiles(rel);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [rel] : [];
  });
}

/** The packages a file imports by name (node: built-ins left out). */
function importedPackages(file: string): string[] {
  const text = read(file);
  const forms = [/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm, /^\s*import\s+'([^']+)'/gm, /\bimport\(\s*'([^']+)'\s*\)/g, /\b(?:require|createRequire\(import\.meta\.url\))\(\s*'([^']+)'\s*\)/g];
  const specifiers = forms.flatMap((form) => [...text.matchAll(form)].map((m) => m[1]!));
  return specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('node:')).map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/'));
}

/** Docker Compose's variable interpolation: `${NAME}`, `${NAME:-default}` and `${NAME:?message}`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const set = vars[name];
    if (set) return set;
    if (op === '?') throw new Error(`compose would refuse to start: ${arg}`);
    return op === '-' ? arg : '';
  });
}

function envExample(): Record<string, string> {
  return Object.fromEntries(
    read('deploy/.env.example')
      .split('\n')
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The runtime stage of deploy/Dockerfile: where each COPY puts what. */
function runtimeCopies(dockerfile: string): Array<{ from: string | null; sources: string[]; dest: string }> {
  const stages = dockerfile.split(/^FROM /m);
  return stages
    .at(-1)!
    .split('\n')
    .filter((line) => line.startsWith('COPY '))
    .map((line) => {
      const words = line.split(/\s+/).slice(1);
      const from = words.find((w) => w.startsWith('--from='))?.slice(7) ?? null;
      const paths = words.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: path.posix.join('/app', paths.at(-1)!) };
    });
}

describe('deploy/', () => {
  it('runtime code imports only production dependencies, which are all an image (npm prune --omit=dev) keeps', () => {
    const files = [...sourceFiles('src'), ...sourceFiles('scripts')];
    const packages = [...new Set(files.flatMap(importedPackages))].sort();
    expect(packages.length).toBeGreaterThan(20);
    expect(packages.filter((p) => !pkg.dependencies[p])).toEqual([]);
  });

  it("the image's runtime stage holds the app, its dependencies and everything it reads beside its code", () => {
    const dockerfile = read('deploy/Dockerfile');
    const copies = runtimeCopies(dockerfile);
    const dests = copies.map((c) => c.dest);
    const inImage = (dir: string) => path.posix.join('/app', path.relative(root, dir));
    for (const needed of ['node_modules', 'src', 'scripts', 'package.json'].map((p) => `/app/${p}`).concat([MIGRATIONS_DIR, LOCALES_DIR, WEB_DIST, BUILD_DIR].map(inImage))) {
      expect(dests.some((d) => needed === d || needed.startsWith(`${d}/`) || (d.endsWith('/') && needed.startsWith(d))), needed).toBe(true);
    }
    // what is copied from the build context exists there and is not left out of it
    const ignored = read('deploy/Dockerfile.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const source of dockerfile.split('\n').filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1))) {
      expect(existsSync(path.join(root, source)), source).toBe(true);
      expect(ignored).not.toContain(source);
    }
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--import", "tsx", "src\/main\.ts"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    const nodeMajor = Number(/^ARG NODE_VERSION=(\d+)$/m.exec(dockerfile)![1]);
    expect(nodeMajor).toBeGreaterThanOrEqual(Number(/\d+/.exec(pkg.engines.node)![0]));
  });

  it('compose gives every StreakPets node a valid production configuration, from settings StreakPets knows', () => {
    const compose = parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; profiles?: string[] }> };
    const example = envExample();
    const vars = { ...example, ...Object.fromEntries(Object.entries(FILLED).filter(([k]) => !example[k])) };
    const nodes = Object.entries(compose.services).filter(([, s]) => s.image === 'streakpets:latest' && !s.profiles);
    expect(nodes.map(([name]) => name).sort()).toEqual(['api', 'worker']);
    for (const [name, service] of nodes) {
      const env = Object.fromEntries(Object.entries(service.environment!).map(([k, v]) => [k, interpolate(String(v), vars)]));
      expect(Object.keys(env).filter((k) => !SETTINGS.has(k)), name).toEqual([]);
      const config = loadConfig(env, ['node', 'src/main.ts', ...service.command!]);
      expect(config).toMatchObject({ NODE_ENV: 'production', ROLE: name, REDIS_URL: 'redis://redis:6379/0' });
      expect(new URL(config.DATABASE_URL!).host).toBe('postgres:5432');
    }
    // the devnet profile's anvil is the binary the image's node_modules holds (linux-x64)
    const devnet = compose.services.devnet as unknown as { entrypoint: string[] };
    expect(existsSync(path.join(root, devnet.entrypoint[0]!)), devnet.entrypoint[0]).toBe(true);
    // a required value left empty stops compose before anything starts
    expect(() => interpolate(String(compose.services.api!.environment!.JWT_SECRET), { ...vars, JWT_SECRET: '' })).toThrow(/JWT_SECRET/);
    // .env.example names exactly the variables compose.yaml reads
    const used = new Set([...read('deploy/compose.yaml').matchAll(/\$\{(\w+)/g)].map((m) => m[1]));
    expect(Object.keys(example).sort()).toEqual([...used].sort());
  });

  it('the Kubernetes manifests give both roles a valid production configuration, probes and port', () => {
    const docs = (file: string) => parseAllDocuments(read(`deploy/k8s/${file}`)).map((d) => d.toJS());
    const kustomization = docs('kustomization.yaml')[0] as { resources: string[] };
    for (const resource of kustomization.resources) expect(existsSync(path.join(root, 'deploy/k8s', resource)), resource).toBe(true);
    const configMap = docs('configmap.yaml')[0].data as Record<string, string>;
    const secret = docs('secret.example.yaml')[0].stringData as Record<string, string>;
    expect([...Object.keys(configMap), ...Object.keys(secret)].filter((k) => !SETTINGS.has(k))).toEqual([]);
    const env = { ...configMap, ...Object.fromEntries(Object.entries(secret).map(([k, v]) => [k, v || FILLED[k] || ''])) };
    const deployments = ['api.yaml', 'worker.yaml'].flatMap(docs).filter((d) => d.kind === 'Deployment');
    expect(deployments.map((d) => d.spec.template.spec.containers[0].args)).toEqual([
      ['--role', 'api'],
      ['--role', 'worker'],
    ]);
    for (const d of deployments) {
      const container = d.spec.template.spec.containers[0];
      const config = loadConfig(env, ['node', 'src/main.ts', ...container.args]);
      expect(config.NODE_ENV).toBe('production');
      expect(container.ports[0].containerPort).toBe(config.PORT);
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'streakpets' } }, { secretRef: { name: 'streakpets' } }]);
      expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain(config.DATA_DIR);
    }
  });
});
