import {
  eventMatches,
  flowRunEventMatches,
  isIncidentChange,
  type EventFilterSpec,
  type FlowRunEventFilterSpec,
  type LiveEvent,
} from '../../../lib/event-filter.js';

/** What the gateway knows about one subscription field of the API (ARCHITECTURE "Subscriptions"). */
export interface SubscriptionKind {
  /** The `Subscription` field, e.g. `flowRunEvents`. */
  field: string;
  /** The `Query` field that resolves one event as this subscription's type, e.g. `flowRunEvent`. */
  queryField: string;
  /**
   * The workspace permissions a subscriber needs: to follow the kind, and those the query field
   * that resolves each event checks (so an accepted subscription is one that can deliver).
   */
  permissions: readonly string[];
  /** Whether a live event belongs to a subscription with these (coerced) filter arguments. */
  matches(event: LiveEvent, filter: unknown): boolean;
}

/** What a backfill (`since`) also needs: it reads the event store (`_eventsSince`). */
export const BACKFILL_PERMISSION = 'see_events';

/** The three subscriptions the gateway serves, by field name. */
export const SUBSCRIPTION_KINDS: Readonly<Record<string, SubscriptionKind>> = Object.freeze({
  flowRunEvents: {
    field: 'flowRunEvents',
    queryField: 'flowRunEvent',
    // flowRunEvent(id) reads the event store (see_events) for a run (see_flow_runs).
    permissions: ['see_flow_runs', 'see_events'],
    matches: (e: LiveEvent, f: unknown) => flowRunEventMatches(e, f as FlowRunEventFilterSpec),
  },
  incidentChanges: {
    field: 'incidentChanges',
    queryField: 'incidentChange',
    permissions: ['see_incidents'],
    matches: (e: LiveEvent) => isIncidentChange(e),
  },
  events: {
    field: 'events',
    queryField: 'event',
    permissions: ['see_events'],
    matches: (e: LiveEvent, f: unknown) => eventMatches(e, f as EventFilterSpec),
  },
});
