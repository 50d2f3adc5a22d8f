/** One FastAPI validation problem, as Prefect's server reports it. */
export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** A REST error answer: status and Prefect's JSON body. */
export interface PrefectError {
  status: number;
  body: { detail: string | ValidationDetail[]; request_id?: string };
}

/** 422 with FastAPI's body. */
export function unprocessable(detail: ValidationDetail[]): PrefectError {
  return { status: 422, body: { detail } };
}

const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  BAD_USER_INPUT: 422,
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A GraphQL input path as Prefect's body path: the route's map (exact or as a prefix), else snake_case. */
function prefectPath(field: string, fields: Record<string, string>): string {
  if (fields[field] !== undefined) return fields[field];
  for (const [from, to] of Object.entries(fields)) {
    if (field.startsWith(`${from}.`)) {
      const rest = field
        .slice(from.length + 1)
        .split('.')
        .map(snake)
        .join('.');
      return to ? `${to}.${rest}` : rest;
    }
  }
  return field.split('.').map(snake).join('.');
}

/**
 * A GraphQL error (already masked by the gateway's formatter) as Prefect's answer: the code
 * picks the status; BAD_USER_INPUT names the body field in FastAPI's `loc` (the route's
 * `fields` map GraphQL input paths to Prefect's, else snake_case of the path after `input.`).
 */
export function graphqlErrorResponse(
  error: { message: string; extensions?: Record<string, unknown> },
  httpStatus: number,
  fields: Record<string, string> = {},
): PrefectError {
  const code = String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  const status = STATUS[code] ?? (httpStatus >= 400 && httpStatus !== 500 ? httpStatus : 500);
  if (status === 422) {
    const field = typeof error.extensions?.field === 'string' ? error.extensions.field : null;
    const path = field ? prefectPath(field, fields) : null;
    const loc: (string | number)[] = ['body'];
    if (path)
      for (const p of path.split('.').filter(Boolean)) loc.push(/^\d+$/.test(p) ? Number(p) : p);
    return unprocessable([{ loc, msg: error.message, type: 'value_error' }]);
  }
  if (status === 500) {
    const requestId = error.extensions?.requestId;
    return {
      status,
      body: {
        detail: 'Internal server error',
        ...(typeof requestId === 'string' ? { request_id: requestId } : {}),
      },
    };
  }
  return { status, body: { detail: error.message } };
}
