import { Directive, Field, ID, InputType, ObjectType } from 'type-graphql';
import { AccountRole } from '../../../../lib/graphql-enums.js';
import { IdentityProviderKind } from './identity-provider.entity.js';

@InputType({ description: 'Internal: begin an SSO login.' })
@Directive('@inaccessible')
export class SsoBeginInput {
  @Field(() => ID, { description: 'The account (resolved from the handle by the gateway).' })
  accountId!: string;

  @Field(() => ID, { nullable: true, description: 'A provider; the oldest enabled one when null.' })
  providerId?: string | null;

  @Field(() => String, { description: 'SHA-256 of the browser-binding cookie.' })
  browserHash!: string;

  @Field(() => String, { nullable: true, description: 'Where the browser returns (checked).' })
  returnTo?: string | null;
}

@ObjectType({ description: 'Internal: where to send the browser.' })
@Directive('@inaccessible')
export class SsoBeginResult {
  @Field(() => String, { description: "The identity provider's URL for this login." })
  redirectUrl!: string;

  @Field(() => ID, { description: 'The provider.' })
  providerId!: string;

  @Field(() => IdentityProviderKind, { description: 'Its protocol.' })
  kind!: IdentityProviderKind;
}

@InputType({ description: "Internal: the identity provider's answer." })
@Directive('@inaccessible')
export class SsoCompleteInput {
  @Field(() => ID, { description: 'The provider named by the callback URL.' })
  providerId!: string;

  @Field(() => String, { description: 'SHA-256 of the browser-binding cookie ("" when absent).' })
  browserHash!: string;

  @Field(() => String, { nullable: true, description: 'OIDC: the full callback URL.' })
  callbackUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'SAML: the posted SAMLResponse.' })
  samlResponse?: string | null;

  @Field(() => String, { nullable: true, description: 'SAML: the posted RelayState.' })
  relayState?: string | null;
}

@ObjectType({ description: 'Internal: the verified identity, or why the login was refused.' })
@Directive('@inaccessible')
export class SsoLoginOutcome {
  @Field(() => Boolean, { description: 'Whether every check passed.' })
  ok!: boolean;

  @Field(() => String, { nullable: true, description: 'Why not.' })
  reason!: string | null;

  @Field(() => ID, { nullable: true, description: 'The account of the provider.' })
  accountId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The provider.' })
  providerId?: string | null;

  @Field(() => String, { nullable: true, description: 'The verified email address.' })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'The name the IdP sent.' })
  name?: string | null;

  @Field(() => [String], { nullable: true, description: 'The groups the IdP sent.' })
  groups?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Where the browser returns.' })
  returnTo?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether JIT provisioning is on.' })
  jitProvisioning?: boolean | null;

  @Field(() => AccountRole, { nullable: true, description: 'Role of provisioned members.' })
  jitAccountRole?: AccountRole | null;
}

@InputType({ description: 'Internal: put a user in the teams of its IdP groups.' })
@Directive('@inaccessible')
export class SsoSyncTeamsInput {
  @Field(() => ID, { description: 'The provider whose mappings apply.' })
  providerId!: string;

  @Field(() => ID, { description: 'The user.' })
  userId!: string;

  @Field(() => [String], { description: 'The groups the IdP sent.' })
  groups!: string[];
}

@InputType({ description: 'Internal: a refusal found after the protocol checks.' })
@Directive('@inaccessible')
export class SsoFailureInput {
  @Field(() => ID, { description: 'The account.' })
  accountId!: string;

  @Field(() => ID, { nullable: true, description: 'The provider.' })
  providerId?: string | null;

  @Field(() => String, { description: 'Why the login was refused.' })
  reason!: string;

  @Field(() => String, { nullable: true, description: 'The email it was for.' })
  email?: string | null;
}
