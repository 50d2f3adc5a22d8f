import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `npm test` prepares what it can by itself: the Python virtualenv of the compatibility tests
 * (scripts/python-env.sh, a no-op when the pins have not changed). Where python3 or the package
 * index is missing, the tests that need Python skip with a line (and fail under CI=true).
 */
export default function setup(): void {
  buildUi();
  pythonEnv();
}

/**
 * The explorer, dashboard and REST docs pages (npm install's prepare builds them; a checkout may
 * not have, or may have a build from before a page was added).
 */
function buildUi(): void {
  const pages = ['explorer.html', 'dashboard.html', 'api-docs.html'];
  const dist = (page: string) => fileURLToPath(new URL(`../../ui/dist/${page}`, import.meta.url));
  if (pages.every((page) => existsSync(dist(page)))) return;
  const r = spawnSync('npm', ['run', 'build:ui'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build:ui failed: the web pages cannot be tested');
}

function pythonEnv(): void {
  const script = fileURLToPath(new URL('../../scripts/python-env.sh', import.meta.url));
  const result = spawnSync(script, { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    const why = (result.stderr || String(result.error ?? ''))
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
    process.env.FLOWPLANE_PYTHON_UNAVAILABLE = why || 'scripts/python-env.sh failed';
    console.log(`python-env: the Python virtualenv is not ready (${why})`);
  } else if (result.stderr) process.stderr.write(result.stderr);
}
