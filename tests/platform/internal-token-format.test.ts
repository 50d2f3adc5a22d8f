import { createHmac } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { InternalTokens } from '../../lib/internal-token.js';
import { NO_GRANTS, type Grants } from '../../lib/principal.js';

const SECRET = 's'.repeat(40);
const KEY = new TextEncoder().encode(SECRET);
const principal = { type: 'user' as const, id: 'u-1', email: 'a@example.test' };
const grants: Grants = {
  ...NO_GRANTS,
  accounts: { a1: { role: 'OWNER', permissions: ['x'] } },
} as Grants;

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const macOf = (input: string, secret = SECRET) =>
  createHmac('sha256', secret).update(input).digest('base64url');
/** A token with any header and payload, signed with the real secret. */
const craft = (header: unknown, payload: unknown) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${macOf(input)}`;
};
const valid = () => {
  const now = Math.floor(Date.now() / 1000);
  return {
    principal,
    grants,
    rid: 'r-1',
    iss: 'flowplane-gateway',
    aud: 'flowplane-subgraphs',
    iat: now,
    exp: now + 60,
  };
};

describe('internal tokens are standard HS256 JWTs', () => {
  it('round-trips principal, grants, request id and client', async () => {
    const tokens = new InternalTokens(SECRET);
    const token = tokens.sign({
      principal,
      grants,
      requestId: 'req-9',
      client: { ip: '203.0.113.7', userAgent: 'ua/1' },
    });
    expect(tokens.verify(token)).toEqual({
      principal,
      grants,
      requestId: 'req-9',
      client: { ip: '203.0.113.7', userAgent: 'ua/1' },
    });
  });

  it('a JWT library verifies ours, and we verify one it signs', async () => {
    const tokens = new InternalTokens(SECRET, 30);
    const ours = tokens.sign({ principal, grants, requestId: 'r-2' });
    const { payload, protectedHeader } = await jwtVerify(ours, KEY, {
      issuer: 'flowplane-gateway',
      audience: 'flowplane-subgraphs',
      algorithms: ['HS256'],
    });
    expect(protectedHeader).toEqual({ alg: 'HS256' });
    expect(payload).toMatchObject({ principal, grants, rid: 'r-2' });
    expect(payload.exp! - payload.iat!).toBe(30);

    const theirs = await new SignJWT({ principal, grants, rid: 'r-3' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('flowplane-gateway')
      .setAudience('flowplane-subgraphs')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(KEY);
    expect(tokens.verify(theirs)?.requestId).toBe('r-3');
  });

  it('refuses another secret, a changed payload or signature, and garbage', async () => {
    const tokens = new InternalTokens(SECRET);
    const token = tokens.sign({ principal, grants: NO_GRANTS });
    expect(await new InternalTokens('t'.repeat(40)).verify(token)).toBeNull();
    const [h, p, s] = token.split('.') as [string, string, string];
    const admin = b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), grants });
    expect(tokens.verify(`${h}.${admin}.${s}`)).toBeNull();
    const flipped = s.slice(0, -2) + (s.at(-2) === 'A' ? 'B' : 'A') + s.at(-1);
    expect(tokens.verify(`${h}.${p}.${flipped}`)).toBeNull();
    for (const bad of ['', 'a.b.c', `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}..${s}`, '...'])
      expect(tokens.verify(bad)).toBeNull();
    expect(tokens.verify(undefined)).toBeNull();
  });

  it('accepts only its own header: no "none", no other algorithm, no extra fields', async () => {
    const tokens = new InternalTokens(SECRET);
    expect(tokens.verify(craft({ alg: 'HS256' }, valid()))).not.toBeNull();
    const none = `${b64({ alg: 'none' })}.${b64(valid())}.`;
    expect(tokens.verify(none)).toBeNull();
    for (const header of [
      { alg: 'HS512' },
      { alg: 'HS256', crit: ['b64'], b64: false },
      { alg: 'HS256', kid: 'other' },
      { typ: 'JWT', alg: 'HS256' },
    ])
      expect(tokens.verify(craft(header, valid()))).toBeNull();
  });

  it('checks issuer, audience, expiry, not-before and the claims it needs', async () => {
    const tokens = new InternalTokens(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, unknown>[] = [
      { iss: 'someone-else' },
      { aud: 'flowplane-public' },
      { aud: ['flowplane-subgraphs', 'x'] },
      { exp: now },
      { exp: now - 1 },
      { exp: String(now + 60) },
      { exp: undefined },
      { nbf: now + 30 },
      { principal: undefined },
      { grants: undefined },
      { rid: 7 },
    ];
    for (const change of cases)
      expect(tokens.verify(craft({ alg: 'HS256' }, { ...valid(), ...change }))).toBeNull();
    const notJson = `${b64({ alg: 'HS256' })}.${Buffer.from('{nope').toString('base64url')}`;
    expect(tokens.verify(`${notJson}.${macOf(notJson)}`)).toBeNull();
  });

  it('expires after its time to live', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
    try {
      const tokens = new InternalTokens(SECRET, 60);
      const token = tokens.sign({ principal, grants });
      vi.setSystemTime(new Date('2026-11-27T10:00:59Z'));
      expect(tokens.verify(token)).not.toBeNull();
      vi.setSystemTime(new Date('2026-11-27T10:01:00Z'));
      expect(tokens.verify(token)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
