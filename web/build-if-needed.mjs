// Builds the web app when web/dist is missing or older than its sources (run by `npm start` through prestart).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.dirname(fileURLToPath(import.meta.url));
const built = path.join(web, 'dist', 'index.html');

function newest(entry) {
  const st = statSync(entry);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(entry)) max = Math.max(max, newest(path.join(entry, name)));
  return max;
}

const sources = ['src', 'public', 'index.html', 'vite.config.ts'].map((p) => path.join(web, p)).filter(existsSync);
const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (stale) {
  process.stdout.write('streakpets: building the web app (web/dist is missing or older than web/src)…\n');
  execFileSync('npm', ['run', 'build'], { cwd: path.dirname(web), stdio: 'inherit' });
} else {
  process.stdout.write('streakpets: web app is up to date\n');
}
