/** The part of Swagger UI's API (swagger-ui-dist ships no types) the docs page uses. */
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  interface SwaggerUIOptions {
    url: string;
    dom_id: string;
    validatorUrl: string | null;
    deepLinking?: boolean;
    displayRequestDuration?: boolean;
    onComplete?: () => void;
  }
  interface SwaggerUIInstance {
    preauthorizeApiKey(scheme: string, key: string): void;
  }
  export default function SwaggerUI(options: SwaggerUIOptions): SwaggerUIInstance;
}
