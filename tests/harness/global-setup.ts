import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm test` prepares what it can by itself: the Python virtualenv of the compatibility tests
 * (scripts/python-env.sh, a no-op when the pins have not changed). Where python3 or the package
 * index is missing, the tests that need Python skip with a line (and fail under CI=true).
 */
export default function setup(): void {
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
