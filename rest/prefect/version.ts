/**
 * The Prefect server API version Flowplane answers to `GET /admin/version`: self-hosted-mode
 * clients refuse another major version and warn below their own.
 */
export const PREFECT_API_VERSION = '3.9.1';
