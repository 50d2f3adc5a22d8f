import type { PushSettings } from './push.service.js';

declare module '../context.js' {
  interface OperationsContext {
    /** Push pool settings (PUSH_*; the API URL may be set once the server listens). */
    pushSettings(): PushSettings;
  }
}
