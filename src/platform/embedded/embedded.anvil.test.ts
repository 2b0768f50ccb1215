import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpFolder } from '../../../test/helpers/tmpDir.js';
import { createLogger } from '../observability/logger.js';
import { startAnvil, type AnvilHandle } from './embedded.anvil.js';
import { isProcessAlive } from './embedded.ports.js';

const dir = tmpFolder('sp-anvil-');
const handles: AnvilHandle[] = [];
afterAll(async () => {
  for (const h of handles) await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

function capturingLogger(lines: Array<Record<string, unknown>>) {
  return createLogger('trace', { write: (line: string) => void lines.push(JSON.parse(line)) });
}

describe('embedded anvil logs', { timeout: 30_000 }, () => {
  it('logs its banner at trace level without the dev accounts\' private keys or mnemonic', async () => {
    const lines: Array<Record<string, unknown>> = [];
    handles.push(await startAnvil(capturingLogger(lines)));
    const anvil = lines.filter((l) => l.msg === 'anvil').map((l) => String(l.anvil));
    expect(anvil.some((l) => l.startsWith('Listening on 127.0.0.1:'))).toBe(true);
    expect(anvil).toContain('Private Keys');
    expect(anvil.join('\n')).not.toMatch(/0x[0-9a-fA-F]{64}/);
    expect(anvil.join('\n')).not.toContain('test test test');
  });

  it('names an orphan it stops by orphanPid, leaving pino\'s own pid field alone', async () => {
    const stateDir = path.join(dir, 'anvil');
    const first = await startAnvil(createLogger('silent'), stateDir);
    handles.push(first);
    const orphan = Number(readFileSync(path.join(stateDir, 'anvil.pid'), 'utf8'));
    rmSync(path.join(stateDir, 'anvil.owner'));
    const lines: Array<Record<string, unknown>> = [];
    handles.push(await startAnvil(capturingLogger(lines), stateDir));
    const warning = lines.find((l) => String(l.msg).startsWith('stopping an orphaned anvil'));
    expect(warning).toMatchObject({ orphanPid: orphan, pid: process.pid });
    expect(isProcessAlive(orphan)).toBe(false);
  });
});
