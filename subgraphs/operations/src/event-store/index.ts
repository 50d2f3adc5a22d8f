import { defineModule } from '../../../../lib/module.js';
import type { OperationsContext } from '../context.js';
import { Event, EventRelated } from './event.entity.js';

/** The stored events that core writes (emitEvent) and the events module serves. */
export const eventStoreModule = defineModule<OperationsContext>({
  name: 'event-store',
  layer: 'core',
  entities: [Event, EventRelated],
});
