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
  /** The workspace permission a subscriber needs. */
  permission: string;
  /** Whether a live event belongs to a subscription with these (coerced) filter arguments. */
  matches(event: LiveEvent, filter: unknown): boolean;
}

/** The three subscriptions the gateway serves, by field name. */
export const SUBSCRIPTION_KINDS: Readonly<Record<string, SubscriptionKind>> = Object.freeze({
  flowRunEvents: {
    field: 'flowRunEvents',
    queryField: 'flowRunEvent',
    permission: 'see_flow_runs',
    matches: (e: LiveEvent, f: unknown) => flowRunEventMatches(e, f as FlowRunEventFilterSpec),
  },
  incidentChanges: {
    field: 'incidentChanges',
    queryField: 'incidentChange',
    permission: 'see_incidents',
    matches: (e: LiveEvent) => isIncidentChange(e),
  },
  events: {
    field: 'events',
    queryField: 'event',
    permission: 'see_events',
    matches: (e: LiveEvent, f: unknown) => eventMatches(e, f as EventFilterSpec),
  },
});
