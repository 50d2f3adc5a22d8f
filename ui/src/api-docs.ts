import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';
import { credentialStore } from './api';

/** Served by the REST layer, generated from its route table (rest/openapi.ts). */
const OPENAPI_PATH = '/api/openapi.json';

/**
 * Interactive documentation of the REST layer (Swagger UI, bundled: nothing from a CDN). The
 * online validator (validator.swagger.io) is switched off should a layout ever show its badge.
 * "Authorize" takes an API key as the bearer token; a key already given to the explorer or the
 * dashboard in this tab is used until the user changes it.
 */
const ui = SwaggerUI({
  url: OPENAPI_PATH,
  dom_id: '#swagger-ui',
  validatorUrl: null,
  deepLinking: true,
  displayRequestDuration: true,
  onComplete: () => {
    const key = credentialStore.get();
    if (key) ui.preauthorizeApiKey('apiKey', key);
  },
});
