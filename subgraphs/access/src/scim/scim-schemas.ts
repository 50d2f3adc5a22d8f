/** RFC 7643 discovery documents of Flowplane's SCIM service (what it stores and filters). */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const MAX_RESULTS = 200;

type Attr = Record<string, unknown>;

const attr = (name: string, extra: Attr = {}): Attr => ({
  name,
  type: 'string',
  multiValued: false,
  description: '',
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

const USER_ATTRIBUTES: Attr[] = [
  attr('userName', {
    required: true,
    uniqueness: 'server',
    description: 'Unique identifier for the user, usually the email address.',
  }),
  attr('name', {
    type: 'complex',
    description: "The components of the user's name.",
    subAttributes: [
      attr('formatted', { description: 'The full name.' }),
      attr('familyName', { description: 'The family name.' }),
      attr('givenName', { description: 'The given name.' }),
    ],
  }),
  attr('displayName', { description: 'The name shown for the user.' }),
  attr('active', { type: 'boolean', description: "The user's membership is active." }),
  attr('emails', {
    type: 'complex',
    multiValued: true,
    description: 'Email addresses; the primary one (or the first) provisions the Flowplane user.',
    subAttributes: [
      attr('value', { description: 'The address.' }),
      attr('type', {
        description: 'work, home or other.',
        canonicalValues: ['work', 'home', 'other'],
      }),
      attr('primary', { type: 'boolean', description: 'The primary address.' }),
    ],
  }),
  attr('groups', {
    type: 'complex',
    multiValued: true,
    mutability: 'readOnly',
    description: 'The groups (teams) the user is in.',
    subAttributes: [
      attr('value', { mutability: 'readOnly', description: 'The group id.' }),
      attr('$ref', {
        type: 'reference',
        referenceTypes: ['Group'],
        mutability: 'readOnly',
        description: 'The group URI.',
      }),
      attr('display', { mutability: 'readOnly', description: 'The group name.' }),
    ],
  }),
];

const GROUP_ATTRIBUTES: Attr[] = [
  attr('displayName', {
    required: true,
    uniqueness: 'server',
    description: 'The team name, unique in the account.',
  }),
  attr('members', {
    type: 'complex',
    multiValued: true,
    description: 'The users in the group.',
    subAttributes: [
      attr('value', { mutability: 'immutable', description: 'The user id.' }),
      attr('$ref', {
        type: 'reference',
        referenceTypes: ['User'],
        mutability: 'immutable',
        description: 'The user URI.',
      }),
      attr('display', { mutability: 'immutable', description: 'The user name.' }),
    ],
  }),
];

const meta = (base: string, resourceType: string, id: string) => ({
  resourceType,
  location: `${base}/${resourceType === 'Schema' ? 'Schemas' : 'ResourceTypes'}/${id}`,
});

export function schemas(base: string): Attr[] {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: USER_SCHEMA,
      name: 'User',
      description: 'A member of the account.',
      attributes: USER_ATTRIBUTES,
      meta: meta(base, 'Schema', USER_SCHEMA),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: GROUP_SCHEMA,
      name: 'Group',
      description: 'A team of the account.',
      attributes: GROUP_ATTRIBUTES,
      meta: meta(base, 'Schema', GROUP_SCHEMA),
    },
  ];
}

export function resourceTypes(base: string): Attr[] {
  return [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'Account members',
      schema: USER_SCHEMA,
      schemaExtensions: [],
      meta: meta(base, 'ResourceType', 'User'),
    },
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Teams',
      schema: GROUP_SCHEMA,
      schemaExtensions: [],
      meta: meta(base, 'ResourceType', 'Group'),
    },
  ];
}

export function serviceProviderConfig(base: string): Attr {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://github.com/flowplane/flowplane#scim-20-provisioning',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: "The account's SCIM token (rotateScimToken), as Authorization: Bearer.",
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}
