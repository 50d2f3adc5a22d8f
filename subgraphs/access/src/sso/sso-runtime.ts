import { SecretBox } from '../../../../lib/secret-box.js';
import { OidcRelyingParty } from './oidc.js';

/** What the access subgraph is told about SSO at start (server/services.ts). */
export interface SsoSettingsConfig {
  /** SSO_ENCRYPTION_KEY. */
  key: Buffer;
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
  dnsServers: string[];
  allowInsecureHttp: boolean;
  clockSkewSeconds: number;
}

/** One per running access subgraph: the sealed-secret box, the OIDC relying party, URLs. */
export class SsoRuntime {
  readonly box: SecretBox;
  readonly oidc: OidcRelyingParty;

  constructor(readonly config: SsoSettingsConfig) {
    this.box = new SecretBox(config.key, 'SSO encryption');
    this.oidc = new OidcRelyingParty({
      allowInsecureHttp: config.allowInsecureHttp,
      clockSkewSeconds: config.clockSkewSeconds,
    });
  }

  redirectUrl(providerId: string): string {
    return `${this.config.publicUrl}/auth/sso/oidc/${providerId}/callback`;
  }

  acsUrl(providerId: string): string {
    return `${this.config.publicUrl}/auth/sso/saml/${providerId}/acs`;
  }

  /** Also the SP entity id: a URL the IdP can read the metadata from. */
  metadataUrl(providerId: string): string {
    return `${this.config.publicUrl}/auth/sso/saml/${providerId}/metadata`;
  }

  scimBaseUrl(): string {
    return `${this.config.publicUrl}/scim/v2`;
  }
}

const runtimes = new WeakMap<object, SsoRuntime>();

/** The runtime of a subgraph, made on first use from its settings. */
export function ssoRuntimeOf(sub: { opts: { settings?: Record<string, unknown> } }): SsoRuntime {
  let r = runtimes.get(sub);
  if (!r) {
    const config = sub.opts.settings?.sso as SsoSettingsConfig | undefined;
    if (!config) throw new Error('The access subgraph was started without its SSO settings');
    r = new SsoRuntime(config);
    runtimes.set(sub, r);
  }
  return r;
}
