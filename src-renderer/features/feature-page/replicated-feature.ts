import { combineLatest, map, type Observable } from 'rxjs';
import { ApiError, type Environment, type Feature, type Segment } from '../../data/api-client.js';
import type { ReplicaDatabase } from '../../replica/replica-db.js';
import { featureFromDoc, segmentFromDoc } from '../../replica/replica-reads.js';
import { liveVersionOf } from '../../../src-shared/domain/versioning/live-version.js';
import type { Resource } from '../../ui/use-resource.js';

/** What the feature page shows around the editor, read from the replica: the feature (null if absent) and the project's segments. */
export interface ReplicatedFeature {
  feature: Feature | null;
  segments: Segment[];
}

export function replicatedFeature$(db: ReplicaDatabase, environment: Environment, featureId: number): Observable<ReplicatedFeature> {
  return combineLatest({
    feature: db.features.findOne({ selector: { pk: featureId } }).$,
    versions: db.versions.find({ selector: { environmentId: environment.id, featureId } }).$,
    segments: db.segments.find({ selector: { projectId: environment.project } }).$,
  }).pipe(
    map(({ feature, versions, segments }) => {
      const live = liveVersionOf(
        versions.map((v) => v.toMutableJSON()),
        Date.now(),
      );
      return {
        feature: feature && feature.projectId === environment.project ? featureFromDoc(feature.toMutableJSON(), environment.id, live) : null,
        segments: segments.map((s) => segmentFromDoc(s.toMutableJSON())).sort((a, b) => a.id - b.id),
      };
    }),
  );
}

/** Replica data in the shape of a loaded resource, so the page renders both paths alike. */
export function replicatedResource<T>(value: ReplicatedFeature | undefined, pick: (r: ReplicatedFeature) => T | null, missing = 'Not found.'): Resource<T> {
  if (value === undefined) return { status: 'loading' };
  const data = pick(value);
  return data === null ? { status: 'failed', error: new ApiError('NOT_FOUND', missing, 404) } : { status: 'ready', data };
}
