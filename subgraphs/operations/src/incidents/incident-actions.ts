/**
 * The automation actions of the incidents module (registered in automations/actions/registry.ts):
 * DECLARE_INCIDENT, and PAUSE_ / RESUME_WORKSPACE_ACTIVITY for "pause activity while an
 * incident is open". They run as the automation inside the firing's savepoint.
 */
import { authorize } from '../../../../lib/ability.js';
import { isUuid } from '../../../../lib/db.js';
import { badInput } from '../../../../lib/errors.js';
import type { ActionHandler, ActionRun } from '../automations/actions/action.types.js';
import { render, validateTemplate } from '../automations/actions/template.js';
import { templateValues } from '../automations/actions/template-values.js';
import { resourceId, type EventJson, type ResourceKind } from '../event-store/emit.js';
import { validateTags } from '../flows/flow.validation.js';
import {
  pauseWorkspaceActivity,
  resumeWorkspaceActivity,
  type ActivityChange,
} from './activity.js';
import {
  declareIncident,
  EVENT_KIND,
  MAX_NAME,
  MAX_RELATED,
  MAX_TEXT,
  existingResources,
  validateSeverity,
  type ResourceRef,
} from './incident.changes.js';
import { MAX_NAME_TEMPLATE, type IncidentActionSettings } from './incident-action.inputs.js';
import { Incident, IncidentResourceKind } from './incident.entity.js';
import { ActorType } from '../../../../lib/graphql-enums.js';

const cut = (s: string, max: number) => [...s].slice(0, max).join('');

/** The workspace objects an event names (its resource, then its related resources). */
export function resourcesNamedBy(event: EventJson | null): ResourceRef[] {
  if (!event) return [];
  const kinds = Object.entries(EVENT_KIND) as [IncidentResourceKind, ResourceKind][];
  const refs: ResourceRef[] = [];
  const seen = new Set<string>();
  for (const r of [event.resource, ...event.related]) {
    for (const [kind, prefix] of kinds) {
      const head = resourceId(prefix, '');
      if (!r.id.startsWith(head)) continue;
      const id = r.id.slice(head.length);
      const key = `${kind}:${id}`;
      if (isUuid(id) && !seen.has(key)) {
        seen.add(key);
        refs.push({ kind, id });
      }
    }
  }
  return refs;
}

const declareIncidentAction: ActionHandler = {
  target: null,
  does: [['create', 'Incident']],
  async validate(input, field) {
    const spec = input.incident;
    if (!spec) throw badInput(`${field}.incident`, 'DECLARE_INCIDENT needs an incident');
    const f = `${field}.incident`;
    if (!spec.name.trim().length || spec.name.length > MAX_NAME_TEMPLATE)
      throw badInput(`${f}.name`, `A name template is 1 to ${MAX_NAME_TEMPLATE} characters`);
    validateTemplate(spec.name, `${f}.name`);
    if (spec.summary != null) {
      if (spec.summary.length > MAX_TEXT)
        throw badInput(`${f}.summary`, `At most ${MAX_TEXT} characters`);
      validateTemplate(spec.summary, `${f}.summary`);
    }
    const settings: IncidentActionSettings = {
      name: spec.name,
      summary: spec.summary ?? null,
      severity: validateSeverity(spec.severity, `${f}.severity`),
      tags: validateTags(spec.tags ?? [], `${f}.tags`),
    };
    return { options: { incident: settings } };
  },
  async execute(r) {
    const settings = r.action.options?.incident as IncidentActionSettings | undefined;
    if (!settings) throw new Error('DECLARE_INCIDENT has no incident settings');
    authorize(r.ctx, 'create', 'Incident', { workspaceId: r.automation.workspaceId }, 'Workspace');
    const values = templateValues(r.automation, r.firing);
    const name =
      cut(render(settings.name, values).trim(), MAX_NAME) || cut(r.automation.name, MAX_NAME);
    const summary = settings.summary ? cut(render(settings.summary, values), MAX_TEXT) : null;
    // An event may outlive the objects it names: those gone are not related any more.
    const named = resourcesNamedBy(r.firing.event);
    const related = (await existingResources(r.em, r.automation.workspaceId, named)).slice(
      0,
      MAX_RELATED,
    );
    const incident = await declareIncident(
      r.em,
      {
        workspaceId: r.automation.workspaceId,
        name,
        summary,
        severity: settings.severity,
        relatedResources: related,
        tags: settings.tags,
      },
      { actor: { type: ActorType.AUTOMATION, id: r.automation.id }, accountId: null },
    );
    return {
      detail: { incidentId: incident.id },
      related: [{ id: resourceId('incident', incident.id), role: 'incident' }],
    };
  },
};

/** The incident the triggering event is about (its resource, else a related incident). */
export function incidentOf(event: EventJson | null): string | null {
  if (!event) return null;
  const head = resourceId('incident', '');
  for (const r of [event.resource, ...event.related.filter((x) => x.role === 'incident')]) {
    const id = r.id.startsWith(head) ? r.id.slice(head.length) : null;
    if (isUuid(id)) return id;
  }
  return null;
}

const MAX_LISTED = 100;
const outcome = (incidentId: string, c: ActivityChange) => ({
  detail: {
    incidentId,
    deployments: c.deploymentIds.length,
    workPools: c.workPoolIds.length,
    deploymentIds: c.deploymentIds.slice(0, MAX_LISTED),
    workPoolIds: c.workPoolIds.slice(0, MAX_LISTED),
  },
  related: [{ id: resourceId('incident', incidentId), role: 'incident' }],
});

function activityAction(pause: boolean): ActionHandler {
  return {
    target: null,
    does: [
      ['update', 'Deployment'],
      ['update', 'WorkPool'],
    ],
    async execute(r: ActionRun) {
      const incidentId = incidentOf(r.firing.event);
      if (!incidentId) throw new Error('The triggering event names no incident');
      const owner = { automationId: r.automation.id, incidentId };
      const workspaceId = r.automation.workspaceId;
      if (!pause)
        return outcome(incidentId, await resumeWorkspaceActivity(r.ctx, workspaceId, owner));
      if (!(await r.em.count(Incident, { id: incidentId, workspaceId })))
        throw new Error('No such incident in this workspace');
      return outcome(incidentId, await pauseWorkspaceActivity(r.ctx, workspaceId, owner));
    },
  };
}

/** Handlers of the incident actions, by action type. */
export const incidentActionHandlers = {
  DECLARE_INCIDENT: declareIncidentAction,
  PAUSE_WORKSPACE_ACTIVITY: activityAction(true),
  RESUME_WORKSPACE_ACTIVITY: activityAction(false),
} satisfies Record<string, ActionHandler>;
