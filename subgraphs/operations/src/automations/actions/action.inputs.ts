import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import {
  IncidentActionInput,
  IncidentActionSettings,
} from '../../incidents/incident-action.inputs.js';
import { StateType } from '../../orchestration/state-type.js';
import { ActionTargetSource, ActionType } from './action-type.js';

/** The HTTP methods a webhook may use. */
export enum WebhookMethod {
  POST = 'POST',
  PUT = 'PUT',
  PATCH = 'PATCH',
}
registerEnumType(WebhookMethod, {
  name: 'WebhookMethod',
  description: 'The HTTP method of a webhook call.',
  valuesConfig: {
    POST: { description: 'POST (the default).' },
    PUT: { description: 'PUT.' },
    PATCH: { description: 'PATCH.' },
  },
});

@InputType({
  description:
    'Where and what a webhook or notification sends. Templates use `{{ dot.path }}` over `event` (the triggering event), `automation` (id, name) and `firing`.',
})
export class WebhookInput {
  @Field(() => String, { description: 'http(s) URL (at most 2000 characters).' })
  url!: string;

  @Field(() => WebhookMethod, { nullable: true, description: 'HTTP method (default POST).' })
  method?: WebhookMethod | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Extra request headers: a JSON object of strings (at most 20).',
  })
  headers?: unknown;

  @Field(() => String, {
    nullable: true,
    description: 'Content type of a CALL_WEBHOOK body (default application/json).',
  })
  contentType?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Body template (at most 64 KiB). CALL_WEBHOOK: the request body, substitutions JSON-escaped when the content type is JSON (default: a JSON description of the firing); SEND_NOTIFICATION: the message body (required).',
  })
  body?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'SEND_NOTIFICATION: the subject template (required; at most 1000 characters).',
  })
  subject?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Signing secret (write-only, 16 to 500 characters): requests carry `x-flowplane-signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Omitted on update keeps the stored one of the same action id; "" removes it.',
  })
  secret?: string | null;
}

@InputType({ description: 'A state an action proposes for a flow run.' })
export class ActionStateInput {
  @Field(() => StateType, { description: 'State type.' })
  type!: StateType;

  @Field(() => String, { nullable: true, description: 'Display name; defaults to the type.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'A message (at most 10000 characters).' })
  message?: string | null;
}

@InputType({ description: 'One action of an automation.' })
export class AutomationActionInput {
  @Field(() => ID, {
    nullable: true,
    description: 'On update: the id of the action this one replaces (keeps its webhook secret).',
  })
  id?: string | null;

  @Field(() => ActionType, { description: 'What the action does.' })
  type!: ActionType;

  @Field(() => ActionTargetSource, {
    nullable: true,
    description: 'Where its target comes from (default SELECTED when `targetId` is given).',
  })
  source?: ActionTargetSource | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'The object acted on (a deployment, work pool, work queue, automation or flow run id, by type), for SELECTED targets.',
  })
  targetId?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'RUN_DEPLOYMENT: run parameters (a JSON object; string values are templates).',
  })
  parameters?: unknown;

  @Field(() => ActionStateInput, {
    nullable: true,
    description: 'CHANGE_FLOW_RUN_STATE: the state to propose.',
  })
  state?: ActionStateInput | null;

  @Field(() => String, {
    nullable: true,
    description: 'CANCEL, SUSPEND and RESUME_FLOW_RUN: the state message (at most 10000).',
  })
  message?: string | null;

  @Field(() => WebhookInput, {
    nullable: true,
    description: 'CALL_WEBHOOK and SEND_NOTIFICATION: where and what to send.',
  })
  webhook?: WebhookInput | null;
  @Field(() => IncidentActionInput, {
    nullable: true,
    description: 'DECLARE_INCIDENT: the incident to declare (name and summary are templates).',
  })
  incident?: IncidentActionInput | null;
}

@ObjectType({ description: 'A state an action proposes.' })
export class ActionState {
  @Field(() => StateType, { description: 'State type.' })
  type!: StateType;

  @Field(() => String, { nullable: true, description: 'Display name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Message.' })
  message?: string | null;
}

@ObjectType({
  description:
    'A webhook or notification target (its secret is never shown; URL and headers are stored encrypted, and shown masked to callers who may not manage automations).',
})
export class WebhookSettings {
  @Field(() => String, {
    description:
      'URL; for callers without manage_automations only its scheme and host, the rest masked.',
  })
  url!: string;

  @Field(() => WebhookMethod, { description: 'HTTP method.' })
  method!: WebhookMethod;

  @Field(() => GraphQLJSON, {
    description: 'Extra request headers; values masked for callers without manage_automations.',
  })
  headers!: Record<string, string>;

  @Field(() => String, { description: 'Content type of the body.' })
  contentType!: string;

  @Field(() => String, { nullable: true, description: 'Body template.' })
  body?: string | null;

  @Field(() => String, { nullable: true, description: 'Subject template (notifications).' })
  subject?: string | null;

  @Field(() => Boolean, { description: 'Whether requests are signed with a stored secret.' })
  hasSecret!: boolean;
}

@ObjectType({ description: 'One action of an automation.' })
export class AutomationAction {
  @Field(() => ID, { description: 'Action id (stable across updates that name it).' })
  id!: string;

  @Field(() => ActionType, { description: 'What it does.' })
  type!: ActionType;

  @Field(() => ActionTargetSource, { description: 'Where its target comes from.' })
  source!: ActionTargetSource;

  @Field(() => ID, { nullable: true, description: 'The selected target’s id.' })
  targetId?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'RUN_DEPLOYMENT parameters.' })
  parameters?: Record<string, unknown> | null;

  @Field(() => ActionState, { nullable: true, description: 'CHANGE_FLOW_RUN_STATE state.' })
  state?: ActionState | null;

  @Field(() => String, { nullable: true, description: 'State message.' })
  message?: string | null;

  @Field(() => WebhookSettings, { nullable: true, description: 'Webhook or notification target.' })
  webhook?: WebhookSettings | null;
  @Field(() => IncidentActionSettings, {
    nullable: true,
    description: 'DECLARE_INCIDENT: the incident it declares.',
  })
  incident?: IncidentActionSettings | null;
}
