import { sql } from 'kysely';
import { healthRoutes } from '../../../src-shared/contracts/http/auth.contract.js';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { Db } from '../../platform/database/database.js';

export function registerHealthRoutes(app: HttpApp, db: Db): void {
  route(app, 'getHealth', healthRoutes.getHealth, async () => {
    try {
      await sql`select 1`.execute(db.kysely);
    } catch (cause) {
      throw new AppError('UNAVAILABLE', 'Database unreachable.', { cause });
    }
    return { status: 'ok' as const, database: db.kind };
  });
}
