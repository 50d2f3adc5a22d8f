import { randomBytes, X509Certificate } from 'node:crypto';
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import type { IdentityProvider } from './identity-provider.entity.js';
import type { SsoRuntime } from './sso-runtime.js';

/** A PEM certificate in canonical form; throws for anything else. */
export function validateSamlCertificate(pem: string): string {
  return new X509Certificate(pem.trim()).toString();
}

/** The SHA-256 fingerprint an admin compares with the IdP's console. */
export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** A refusal of a SAML response, with the reason shown and audited. */
export class SamlCheckError extends Error {}

export interface SamlLogin {
  /** The AuthnRequest id expected in InResponseTo; null for an IdP-initiated response. */
  expectedRequestId: string | null;
  /** When that request was made (node-saml refuses answers to requests older than 10 min). */
  requestedAt?: Date;
}

/**
 * A cache provider that knows one request id at most: the one this login sent. node-saml asks it
 * whether the response's `InResponseTo` (on the Response and in the signed assertion's
 * SubjectConfirmationData) answers a request of ours; the login attempts themselves live in the
 * database (shared by every instance), not in node-saml's per-process memory.
 */
function oneRequest(login: SamlLogin): CacheProvider {
  const id = login.expectedRequestId;
  const at = (login.requestedAt ?? new Date()).toISOString();
  return {
    saveAsync: async () => null,
    getAsync: async (key: string) => (id !== null && key === id ? at : null),
    removeAsync: async () => null,
  };
}

export interface SamlProvider {
  saml(login: SamlLogin): SAML;
  /** A fresh AuthnRequest id (`_` + 160 random bits: an NCName). */
  newRequestId(): string;
}

/**
 * A node-saml SP for one provider (node-saml ≥ 5.1: the signature-bypass fixes). Signed
 * assertions are required (and a signed response is verified when signed), the audience is our
 * entity id, the IdP's issuer must match, timestamps within the clock skew, and `InResponseTo`
 * must answer the login's request unless IdP-initiated logins are allowed and it is absent.
 */
export async function samlProviderOf(rt: SsoRuntime, p: IdentityProvider): Promise<SamlProvider> {
  const privateKey = p.samlSpPrivateKeySealed
    ? rt.box.decrypt(p.samlSpPrivateKeySealed, p.id)
    : undefined;
  if (!p.samlIdpCertificates.length) throw new Error('no IdP certificate is configured');
  for (const c of p.samlIdpCertificates) new X509Certificate(c);
  const base = {
    entryPoint: p.samlSsoUrl!,
    issuer: rt.metadataUrl(p.id),
    callbackUrl: rt.acsUrl(p.id),
    audience: rt.metadataUrl(p.id),
    idpIssuer: p.samlIdpEntityId!,
    idpCert: p.samlIdpCertificates,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: rt.config.clockSkewSeconds * 1000,
    maxAssertionAgeMs: 0,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    signatureAlgorithm: 'sha256' as const,
    digestAlgorithm: 'sha256',
    disableRequestedAuthnContext: true,
    ...(privateKey ? { privateKey, publicCert: p.samlSpCertificate ?? undefined } : {}),
  };
  return {
    newRequestId: () => `_${randomBytes(20).toString('hex')}`,
    saml: (login) =>
      new SAML({
        ...base,
        generateUniqueId: () => login.expectedRequestId ?? `_${randomBytes(20).toString('hex')}`,
        validateInResponseTo:
          login.expectedRequestId === null && p.samlAllowIdpInitiated
            ? ValidateInResponseTo.ifPresent
            : ValidateInResponseTo.always,
        cacheProvider: oneRequest(login),
        requestIdExpirationPeriodMs: 10 * 60_000,
      }),
  };
}

/** SP metadata for the IdP to import (entity id, ACS URL, signing certificate when set). */
export async function spMetadataOf(rt: SsoRuntime, p: IdentityProvider): Promise<string> {
  const sp = await samlProviderOf(rt, p);
  return sp
    .saml({ expectedRequestId: null })
    .generateServiceProviderMetadata(null, p.samlSpCertificate ?? null);
}

export interface SamlIdentity {
  nameId: string;
  email: string | null;
  name: string | null;
  groups: string[];
  assertionId: string;
  /** When the assertion stops being valid: how long its id stays in the replay cache. */
  expiresAt: Date;
}

const MAX_RESPONSE = 256 * 1024;

/**
 * Validates a base64 SAMLResponse. Before node-saml parses it: no DTD or entity declarations
 * (entity expansion, XXE) and no comments (the NameID comment-injection trick, where a signed
 * `user@evil.com<!---->.example.com` reads as another address). After it: the destination and
 * the signed assertion's recipient must be our ACS URL, and there is exactly one assertion.
 */
export async function validateSamlResponse(
  sp: SamlProvider,
  login: SamlLogin,
  rt: SsoRuntime,
  providerId: string,
  samlResponse: string,
  groupsAttribute: string,
): Promise<SamlIdentity> {
  if (samlResponse.length > MAX_RESPONSE)
    throw new SamlCheckError('the SAML response is too large');
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw new SamlCheckError('the SAML response holds a document type declaration');
  if (xml.includes('<!--')) throw new SamlCheckError('the SAML response holds XML comments');
  const assertions = xml.match(/<(?:[A-Za-z_][\w.-]*:)?Assertion[\s>]/g) ?? [];
  if (assertions.length !== 1)
    throw new SamlCheckError(`the SAML response holds ${assertions.length} assertions`);
  let profile: Profile | null;
  try {
    ({ profile } = await sp.saml(login).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (err) {
    throw new SamlCheckError(String((err as Error).message ?? err).slice(0, 300));
  }
  if (!profile) throw new SamlCheckError('the SAML response carries no assertion');
  const acs = rt.acsUrl(providerId);
  const destination = /<(?:[\w.-]+:)?Response\b[^>]*\sDestination="([^"]*)"/.exec(xml)?.[1];
  if (destination !== undefined && destination !== acs)
    throw new SamlCheckError('the SAML response is addressed to another destination');
  const signed = profile.getAssertionXml?.() ?? '';
  const recipients = [
    ...signed.matchAll(/<(?:[\w.-]+:)?SubjectConfirmationData\b[^>]*\sRecipient="([^"]*)"/g),
  ].map((m) => m[1]);
  if (!recipients.length || recipients.some((r) => r !== acs))
    throw new SamlCheckError('the SAML assertion is for another recipient');
  const assertion = profile.getAssertion?.() as
    | { Assertion?: { $?: { ID?: string }; Conditions?: { $?: { NotOnOrAfter?: string } }[] } }
    | undefined;
  const assertionId = assertion?.Assertion?.$?.ID;
  if (!assertionId) throw new SamlCheckError('the SAML assertion has no ID');
  const notOnOrAfter = assertion?.Assertion?.Conditions?.[0]?.$?.NotOnOrAfter;
  const expiresAt = notOnOrAfter ? new Date(notOnOrAfter) : new Date(Date.now() + 3600_000);
  const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
  const raw = attrs[groupsAttribute];
  const groups = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
    (g): g is string => typeof g === 'string',
  );
  const email =
    typeof profile.email === 'string'
      ? profile.email
      : typeof attrs.email === 'string'
        ? (attrs.email as string)
        : profile.nameID?.includes('@')
          ? profile.nameID
          : null;
  const name =
    typeof attrs.displayName === 'string'
      ? (attrs.displayName as string)
      : typeof attrs.name === 'string'
        ? (attrs.name as string)
        : null;
  return {
    nameId: profile.nameID ?? '',
    email,
    name,
    groups,
    assertionId,
    expiresAt: Number.isNaN(expiresAt.getTime()) ? new Date(Date.now() + 3600_000) : expiresAt,
  };
}
