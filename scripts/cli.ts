import 'reflect-metadata';
import '../lib/knex-transactor.js';
import { answerBuiltinIds } from '../lib/builtin-ids.js';
import { runCli } from '../server/cli/index.js';

answerBuiltinIds();

// The operator CLI (`flowplane …`, `npm start` = `flowplane serve all`); see server/cli/.
runCli(process.argv.slice(2), process.env).then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (err) => {
    console.error(`flowplane: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
