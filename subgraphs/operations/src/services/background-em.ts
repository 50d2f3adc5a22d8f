import { LockMode } from '@mikro-orm/core';
import { isPostgres } from '../../../../lib/db.js';
import type { Em, Orm } from '../../../../lib/orm.js';

/** An entity manager whose queries are labelled background (not counted as request queries). */
export const backgroundEm = (orm: Orm): Em =>
  orm.em.fork({ loggerContext: { label: 'background' } }) as Em;

/** Lock options that skip rows another instance holds (PostgreSQL); SQLite has one writer. */
export const skipLocked = (em: Em): { lockMode?: LockMode.PESSIMISTIC_PARTIAL_WRITE } =>
  isPostgres(em) ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {};
