import { filter, type Subscription } from 'rxjs';
import type { VersionDoc } from '../../src-shared/contracts/sync/documents.js';
import type { DesktopApi } from '../../src-shared/contracts/ipc/ipc-contract.js';
import { formatDateTime } from '../ui/format.js';
import type { ReplicaDatabase } from './replica-db.js';

/*
 * A scheduled version that could not go live because a newer overlapping version was published first
 * (D8) turns `conflict` on the server; replication brings that change here. Its author (or whoever
 * scheduled it) gets a native notification in the desktop app, as they get an email from the server.
 * Only changes that arrive while the app runs count: a conflict already in the replica was seen before.
 */
export function watchScheduledVersionConflicts(db: ReplicaDatabase, userId: number, notify: (version: VersionDoc) => void): Subscription {
  return db.versions.$.pipe(
    filter((change) => change.operation === 'UPDATE' && change.documentData.status === 'conflict' && change.previousDocumentData?.status !== 'conflict'),
  ).subscribe((change) => {
    const version = change.documentData as VersionDoc;
    if (version.createdByUserId === userId || version.publishedByUserId === userId) notify(version);
  });
}

export function notifyScheduledVersionConflicts(db: ReplicaDatabase, userId: number, desktop: Pick<DesktopApi, 'notifications'>): Subscription {
  return watchScheduledVersionConflicts(db, userId, (version) => {
    void (async () => {
      const feature = await db.features.findOne({ selector: { pk: version.featureId } }).exec();
      const environment = await db.environments.findOne({ selector: { pk: version.environmentId } }).exec();
      const where = `${feature?.name ?? 'A feature'}${environment ? ` in ${environment.name}` : ''}`;
      await desktop.notifications.show({
        title: 'A scheduled change did not go live',
        body: `${where}: the change scheduled for ${version.liveFrom ? formatDateTime(version.liveFrom) : 'later'} conflicts with a newer version. Open Flagdesk to resolve it.`,
      });
    })().catch(() => undefined);
  });
}
