import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
export const CONTRACTS_DIR = fileURLToPath(new URL('../contracts/', import.meta.url));
export const BUILD_DIR = path.join(CONTRACTS_DIR, 'build');
const STAMP = path.join(BUILD_DIR, '.sources.sha256');
const EVM_VERSION = 'cancun';

export interface ContractArtifact {
  contractName: string;
  abi: unknown[];
  bytecode: `0x${string}`;
  compiler: string;
}

function sources(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of readdirSync(CONTRACTS_DIR).filter((f) => f.endsWith('.sol')).sort()) {
    out[file] = readFileSync(path.join(CONTRACTS_DIR, file), 'utf8');
  }
  return out;
}

/** The stamp: sources, settings and the solc package version (read from package.json, so checking never loads the compiler). */
function sourcesHash(src: Record<string, string>): string {
  const solcVersion = (require('solc/package.json') as { version: string }).version;
  const h = createHash('sha256').update(solcVersion).update(EVM_VERSION);
  for (const [name, text] of Object.entries(src)) h.update(name).update('\0').update(text).update('\0');
  return h.digest('hex');
}

/** True when contracts/build is missing or older than the .sol sources. */
export function contractsStale(): boolean {
  if (!existsSync(STAMP)) return true;
  return readFileSync(STAMP, 'utf8').trim() !== sourcesHash(sources());
}

/** Resolves `@openzeppelin/...` (and any package path) from node_modules for solc's import callback. */
function findImport(importPath: string): { contents: string } | { error: string } {
  try {
    const local = path.join(CONTRACTS_DIR, importPath);
    if (existsSync(local)) return { contents: readFileSync(local, 'utf8') };
    return { contents: readFileSync(require.resolve(importPath), 'utf8') };
  } catch {
    return { error: `not found: ${importPath}` };
  }
}

/** Compiles every contracts/*.sol with solc into contracts/build/<Name>.json ({abi, bytecode}). */
export function compileContracts(): ContractArtifact[] {
  const solc = require('solc') as { compile(input: string, opts: { import: typeof findImport }): string; version(): string };
  const src = sources();
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(src).map(([name, content]) => [name, { content }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: EVM_VERSION,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: Array<{ severity: string; formattedMessage: string }>;
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  mkdirSync(BUILD_DIR, { recursive: true });
  const artifacts: ContractArtifact[] = [];
  for (const file of Object.keys(src)) {
    for (const [contractName, c] of Object.entries(output.contracts[file] ?? {})) {
      const artifact: ContractArtifact = { contractName, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, compiler: solc.version() };
      const target = path.join(BUILD_DIR, `${contractName}.json`);
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(artifact, null, 2));
      renameSync(tmp, target);
      artifacts.push(artifact);
    }
  }
  const stampTmp = `${STAMP}.${process.pid}.tmp`;
  writeFileSync(stampTmp, sourcesHash(src));
  renameSync(stampTmp, STAMP);
  return artifacts;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const onlyIfChanged = process.argv.includes('--if-changed');
  if (onlyIfChanged && !contractsStale()) {
    process.stdout.write('contracts are up to date\n');
  } else {
    const built = compileContracts();
    process.stdout.write(`compiled ${built.map((a) => a.contractName).join(', ')} into contracts/build\n`);
  }
}
