// zod schema of one raw cloud entry (clouds.yaml merged with secure.yaml, or OS_* variables).
// Unknown keys pass through: openstacksdk accepts many settings permafrost does not use.
import { z } from 'zod';

const text = z.union([z.string(), z.number()]).transform((v) => String(v));

const authSchema = z.looseObject({
  auth_url: z.string().optional(),
  username: text.optional(),
  user_id: text.optional(),
  password: text.optional(),
  project_name: text.optional(),
  project_id: text.optional(),
  tenant_name: text.optional(),
  tenant_id: text.optional(),
  user_domain_name: text.optional(),
  user_domain_id: text.optional(),
  project_domain_name: text.optional(),
  project_domain_id: text.optional(),
  domain_name: text.optional(),
  domain_id: text.optional(),
  default_domain_name: text.optional(),
  default_domain_id: text.optional(),
  application_credential_id: text.optional(),
  application_credential_name: text.optional(),
  application_credential_secret: text.optional(),
});

const regionEntry = z.union([z.string(), z.looseObject({ name: z.string() })]);

export const rawCloudSchema = z.looseObject({
  auth: authSchema.optional(),
  auth_type: z.enum(['password', 'v3password', 'v3applicationcredential']).optional(),
  region_name: z.string().optional(),
  regions: z.array(regionEntry).optional(),
  interface: z.enum(['public', 'internal', 'admin', 'publicURL', 'internalURL', 'adminURL']).optional(),
  /** The old name of `interface`. */
  endpoint_type: z.enum(['public', 'internal', 'admin', 'publicURL', 'internalURL', 'adminURL']).optional(),
  verify: z.union([z.boolean(), z.string()]).optional(),
  insecure: z.boolean().optional(),
  cacert: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  api_timeout: z.number().positive().optional(),
  identity_api_version: z.union([z.string(), z.number()]).transform((v) => String(v)).optional(),
  profile: z.string().optional(),
});

export type RawCloud = z.infer<typeof rawCloudSchema>;

/** Keys whose values are never echoed in error messages. */
export const SECRET_CONFIG_KEYS = new Set(['auth.password', 'auth.application_credential_secret', 'auth.token', 'key']);
