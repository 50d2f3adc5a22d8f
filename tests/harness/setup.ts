import 'reflect-metadata';

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
