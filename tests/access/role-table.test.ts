import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_ROLE_PERMISSIONS,
  PERMISSIONS,
  WORKSPACE_ROLE_PERMISSIONS,
} from '../../lib/permissions.js';
import {
  EXPECTED_ACCOUNT_ROLES,
  EXPECTED_PERMISSIONS,
  EXPECTED_WORKSPACE_ROLES,
} from './role-table.js';

/** The catalogue the code enforces against the hand-written table of REFERENCE.md §2. */
describe('the built-in roles of lib/permissions.ts are the roles of the reference table', () => {
  it('the catalogue holds exactly the permissions of the table', () => {
    for (const level of ['WORKSPACE', 'ACCOUNT'] as const)
      expect(
        PERMISSIONS.filter((p) => p.level === level)
          .map((p) => p.name)
          .sort(),
      ).toEqual([...EXPECTED_PERMISSIONS[level]].sort());
  });

  it.each(Object.keys(EXPECTED_WORKSPACE_ROLES))('workspace role %s', (role) => {
    const key = role as keyof typeof EXPECTED_WORKSPACE_ROLES;
    expect([...WORKSPACE_ROLE_PERMISSIONS[key]].sort()).toEqual(EXPECTED_WORKSPACE_ROLES[key]);
  });

  it.each(Object.keys(EXPECTED_ACCOUNT_ROLES))('account role %s', (role) => {
    const key = role as keyof typeof EXPECTED_ACCOUNT_ROLES;
    expect([...ACCOUNT_ROLE_PERMISSIONS[key]].sort()).toEqual(EXPECTED_ACCOUNT_ROLES[key]);
  });
});
