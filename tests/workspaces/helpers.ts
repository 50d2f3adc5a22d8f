export { ACCEPT, createWorkspace, expectError, invite, join } from '../harness/seed.js';
