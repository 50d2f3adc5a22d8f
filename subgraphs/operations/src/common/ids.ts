import { isUuid } from '../../../../lib/db.js';

/** A uuid no row has: filters on a malformed id match nothing without sending it to SQL. */
export const NO_ID = '00000000-0000-0000-0000-000000000000';
export const idOrNone = (value: string): string => (isUuid(value) ? value : NO_ID);
