import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { createLogger } from '../../src/platform/observability/logger.js';
import { createTestDeps, type TestApp } from './testApp.js';

/**
 * Like createTestApp, but every log line — the app's request logs and the logger that services
 * and jobs use — is captured in `logs`, so a test can assert that secrets never reach a log.
 */
export async function createLoggedTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const deps = await createTestDeps({ env: { LOG_LEVEL: 'info', ...env } });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  deps.logger = createLogger('info', stream);
  const app = await buildApp(deps, { logStream: stream });
  await deps.jobs.start({ work: true });
  deps.events.start(200);
  await app.ready();
  return {
    app,
    deps,
    logs,
    async close() {
      await app.close();
      await deps.close();
    },
  };
}
