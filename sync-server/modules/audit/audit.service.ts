import type { DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { auditAuthor, type Principal } from '../access/principal.js';

/** Related object types of audit entries, as Flagsmith names them. */
export const AuditObjectType = {
  FEATURE: 'FEATURE',
  FEATURE_STATE: 'FEATURE_STATE',
  EF_VERSION: 'EF_VERSION',
  SEGMENT: 'SEGMENT',
  ENVIRONMENT: 'ENVIRONMENT',
  PROJECT: 'PROJECT',
  ORGANISATION: 'ORGANISATION',
  IDENTITY: 'IDENTITY',
  CHANGE_REQUEST: 'CHANGE_REQUEST',
  USER: 'USER',
  API_KEY: 'API_KEY',
} as const;
export type AuditObjectType = (typeof AuditObjectType)[keyof typeof AuditObjectType];

export interface AuditEntryInput {
  organisationId: number;
  projectId?: number | null;
  environmentId?: number | null;
  log: string;
  relatedObjectType: AuditObjectType;
  relatedObjectId?: number | null;
  relatedObjectUuid?: string | null;
}

/** Writes audit entries inside the caller's transaction, so an entry exists exactly when its change does. */
export interface AuditService {
  record(trx: DbExecutor, actor: Principal | null, entry: AuditEntryInput): Promise<void>;
}

export function createAuditService(clock: Clock): AuditService {
  return {
    async record(trx, actor, entry) {
      await trx
        .insertInto('audit_log')
        .values({
          uuid: generateUuid(),
          organisation_id: entry.organisationId,
          project_id: entry.projectId ?? null,
          environment_id: entry.environmentId ?? null,
          log: entry.log,
          ...(actor ? auditAuthor(actor) : { author_user_id: null, author_api_key_id: null }),
          related_object_type: entry.relatedObjectType,
          related_object_id: entry.relatedObjectId ?? null,
          related_object_uuid: entry.relatedObjectUuid ?? null,
          created_at: clock.now().toISOString(),
        })
        .execute();
    },
  };
}
