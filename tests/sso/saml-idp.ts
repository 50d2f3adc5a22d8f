import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

const keyFile = (name: string) => readFileSync(new URL(`./keys/${name}`, import.meta.url), 'utf8');
export const IDP_KEY = keyFile('idp.key.pem');
export const IDP_CERT = keyFile('idp.cert.pem');
export const OTHER_KEY = keyFile('other.key.pem');
export const OTHER_CERT = keyFile('other.cert.pem');

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

export interface AssertionOptions {
  issuer: string;
  /** The SP entity id (Audience). */
  audience: string;
  /** The ACS URL (Destination, Recipient). */
  acsUrl: string;
  /** The AuthnRequest answered; null for an IdP-initiated response. */
  inResponseTo: string | null;
  nameId: string;
  email?: string;
  groups?: string[];
  /** Seconds from now the assertion stops being valid (negative: already expired). */
  validFor?: number;
  assertionId?: string;
}

const iso = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** An unsigned assertion element (namespaces declared on it, so it can be signed alone). */
export function assertionXml(o: AssertionOptions): string {
  const id = o.assertionId ?? `_a${randomUUID().replace(/-/g, '')}`;
  const validFor = o.validFor ?? 300;
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
  const attrs = [
    o.email
      ? `<saml:Attribute Name="email"><saml:AttributeValue>${esc(o.email)}</saml:AttributeValue></saml:Attribute>`
      : '',
    o.groups?.length
      ? `<saml:Attribute Name="groups">${o.groups.map((g) => `<saml:AttributeValue>${esc(g)}</saml:AttributeValue>`).join('')}</saml:Attribute>`
      : '',
  ].join('');
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${iso(-5)}">` +
    `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${o.nameId}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData${irt} NotOnOrAfter="${iso(validFor)}" Recipient="${esc(o.acsUrl)}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(-60 + Math.min(0, validFor))}" NotOnOrAfter="${iso(validFor)}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(-5)}" SessionIndex="_s${randomUUID().slice(0, 8)}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

/** Signs the element with this ID (enveloped, exclusive c14n, RSA-SHA256), after its Issuer. */
export function sign(xml: string, id: string, key = IDP_KEY, cert = IDP_CERT): string {
  const sig = new SignedXml({
    privateKey: key,
    publicCert: cert,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    xpath: `//*[@ID='${id}']`,
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  sig.computeSignature(xml, {
    location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

export const idOf = (xml: string) => /ID="([^"]+)"/.exec(xml)![1]!;

/** A Response around the given assertion XML (signed or not). */
export function responseXml(
  o: Pick<AssertionOptions, 'issuer' | 'acsUrl' | 'inResponseTo'>,
  inner: string,
): string {
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
    `ID="_r${randomUUID().replace(/-/g, '')}" Version="2.0" IssueInstant="${iso(0)}" Destination="${esc(o.acsUrl)}"${irt}>` +
    `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    inner +
    `</samlp:Response>`
  );
}

/** The usual answer: a Response with one assertion signed by the IdP's key. */
export function signedResponse(o: AssertionOptions): string {
  const a = assertionXml(o);
  return responseXml(o, sign(a, idOf(a)));
}

export interface SamlRequestSeen {
  id: string;
  acsUrl: string | null;
  relayState: string | null;
}

export interface SamlIdp {
  entityId: string;
  ssoUrl: string;
  /** Who the next login is for. */
  next: { nameId: string; email?: string; groups?: string[] };
  /** Rewrites the Response XML of the next login (a broken or malicious IdP); one-shot. */
  respond?: (ctx: { request: SamlRequestSeen; options: AssertionOptions }) => string;
  /** The SP entity id the assertions name as their audience. */
  audience: string;
  /** The ACS URL the assertions are for. */
  acsUrl: string;
  lastRequest?: SamlRequestSeen;
  stop(): Promise<void>;
}

/**
 * A SAML 2.0 IdP on a loopback port, signing with a real RSA key (xml-crypto): its SSO URL takes
 * the SP's HTTP-Redirect AuthnRequest and answers the HTML auto-post form a browser would submit
 * to the ACS URL, with the signed Response and the RelayState.
 */
export async function startSamlIdp(opts: { audience: string; acsUrl: string }): Promise<SamlIdp> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const idp: SamlIdp = {
    entityId: `http://127.0.0.1:${port}/metadata`,
    ssoUrl: `http://127.0.0.1:${port}/sso`,
    next: { nameId: '' },
    audience: opts.audience,
    acsUrl: opts.acsUrl,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', idp.ssoUrl);
    const raw = url.searchParams.get('SAMLRequest');
    if (url.pathname !== '/sso' || !raw) {
      res.writeHead(404).end();
      return;
    }
    const request = inflateRawSync(Buffer.from(raw, 'base64')).toString('utf8');
    const seen: SamlRequestSeen = {
      id: /\sID="([^"]+)"/.exec(request)![1]!,
      acsUrl: /AssertionConsumerServiceURL="([^"]+)"/.exec(request)?.[1] ?? null,
      relayState: url.searchParams.get('RelayState'),
    };
    idp.lastRequest = seen;
    const options: AssertionOptions = {
      issuer: idp.entityId,
      audience: idp.audience,
      acsUrl: idp.acsUrl,
      inResponseTo: seen.id,
      ...idp.next,
    };
    const respond = idp.respond;
    idp.respond = undefined;
    const xml = respond ? respond({ request: seen, options }) : signedResponse(options);
    const samlResponse = Buffer.from(xml).toString('base64');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><form method="post" action="${esc(idp.acsUrl)}">` +
        `<input type="hidden" name="SAMLResponse" value="${samlResponse}">` +
        (seen.relayState
          ? `<input type="hidden" name="RelayState" value="${esc(seen.relayState)}">`
          : '') +
        `</form><script>document.forms[0].submit()</script>`,
    );
  });
  return idp;
}

/** Reads the auto-post form an IdP page holds: its action and fields. */
export function readForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[m[1]!] = m[2]!
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&amp;/g, '&');
  return { action, fields };
}
