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
    const path = field ? (fields[field] ?? field.split('.').map(snake).join('.')) : null;
    const loc: (string | number)[] = ['body'];
    if (path) for (const p of path.split('.')) loc.push(/^\d+$/.test(p) ? Number(p) : p);
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
