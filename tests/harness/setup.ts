import 'reflect-metadata';
import '../../lib/knex-transactor.js';

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
