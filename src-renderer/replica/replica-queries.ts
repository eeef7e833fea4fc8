import { combineLatest, concat, defer, map, of, switchMap, timer, type Observable } from 'rxjs';
import type { ChangeRequestDoc, EnvironmentDoc, FeatureDoc, OrganisationDoc, ProjectDoc, SegmentDoc, VersionDoc } from '../../src-shared/contracts/sync/documents.js';
import type { ChangeRequest, Environment, Feature, Project, Segment } from '../data/api-client.js';
import type { JumpTargets } from '../data/project-data.js';
import type { ReplicaDatabase } from './replica-db.js';
import {
  byPk,
  changeRequestsFromDocs,
  environmentFromDoc,
  featureFromDoc,
  featureListFromDocs,
  nextGoLiveAfter,
  organisationFromDoc,
  projectFromDoc,
  segmentFromDoc,
  type OrganisationSummary,
} from './replica-reads.js';

/*
 * Live reads of the replica for the screens: each observable emits the current answer and again on every
 * replicated change of the documents it reads (an RxQuery's `$`), mapped to the Admin API shapes by
 * replica-reads.ts. Documents are handed on as plain JSON.
 */

type Plain<T> = { toJSON(): unknown } & T;
const plain = <T>(docs: Plain<T>[]): T[] => docs.map((d) => d.toJSON() as T);

export function organisations$(db: ReplicaDatabase): Observable<OrganisationSummary[]> {
  return db.organisations.find().$.pipe(map((docs) => plain<OrganisationDoc>(docs).sort(byPk).map(organisationFromDoc)));
}

export function projects$(db: ReplicaDatabase, organisationId: number): Observable<Project[]> {
  return db.projects.find({ selector: { organisationId } }).$.pipe(map((docs) => plain<ProjectDoc>(docs).sort(byPk).map(projectFromDoc)));
}

export function environments$(db: ReplicaDatabase, projectId: number): Observable<Environment[]> {
  return db.environments.find({ selector: { projectId } }).$.pipe(map((docs) => plain<EnvironmentDoc>(docs).sort(byPk).map(environmentFromDoc)));
}

export function segments$(db: ReplicaDatabase, projectId: number): Observable<Segment[]> {
  return db.segments.find({ selector: { projectId } }).$.pipe(map((docs) => plain<SegmentDoc>(docs).sort(byPk).map(segmentFromDoc)));
}

export function changeRequests$(db: ReplicaDatabase, environmentId: number): Observable<ChangeRequest[]> {
  return db.change_requests.find({ selector: { environmentId } }).$.pipe(map((docs) => changeRequestsFromDocs(plain<ChangeRequestDoc>(docs))));
}

/** The project's live features without their states (what the command palette jumps to). */
export function projectFeatures$(db: ReplicaDatabase, projectId: number): Observable<Feature[]> {
  return db.features.find({ selector: { projectId } }).$.pipe(
    map((docs) =>
      plain<FeatureDoc>(docs)
        .filter((f) => !f.isArchived)
        .sort(byPk)
        .map((f) => featureFromDoc(f, null, null)),
    ),
  );
}

/** The versions of one environment, optionally of one feature only. */
export function versions$(db: ReplicaDatabase, environmentId: number, featureId?: number): Observable<VersionDoc[]> {
  const selector = featureId === undefined ? { environmentId } : { environmentId, featureId };
  return db.versions.find({ selector }).$.pipe(map((docs) => plain<VersionDoc>(docs)));
}

/**
 * The time now, and again when the next of `versions` scheduled for later goes live, so that what is
 * live is re-judged then without a server change.
 */
export function liveClock$(versions: readonly VersionDoc[]): Observable<number> {
  return defer(() => {
    const now = Date.now();
    const next = nextGoLiveAfter(versions, now);
    return next === null ? of(now) : concat(of(now), timer(next - now + 1).pipe(switchMap(() => liveClock$(versions))));
  });
}

/** A v2 environment's feature list with each feature's live value (see featureListFromDocs). */
export function featureList$(db: ReplicaDatabase, environment: Pick<Environment, 'id' | 'project'>, search: string): Observable<Feature[]> {
  const features = db.features.find({ selector: { projectId: environment.project } }).$.pipe(map((docs) => plain<FeatureDoc>(docs)));
  // Only published versions can be live; scheduled and conflicted ones are left out of this (large) read.
  const published = db.versions.find({ selector: { environmentId: environment.id, status: 'published' } }).$.pipe(map((docs) => plain<VersionDoc>(docs)));
  return combineLatest([features, published]).pipe(
    switchMap(([f, v]) => liveClock$(v).pipe(map((now) => featureListFromDocs(f, v, environment.id, search, now)))),
  );
}

/** A feature's versions in one environment with the time they are judged at (re-emitted at a go-live). */
export function featureVersions$(db: ReplicaDatabase, environmentId: number, featureId: number): Observable<{ versions: VersionDoc[]; now: number }> {
  return versions$(db, environmentId, featureId).pipe(switchMap((versions) => liveClock$(versions).pipe(map((now) => ({ versions, now })))));
}

/** What the command palette jumps to (see loadJumpTargets), from the replica. */
export function jumpTargets$(db: ReplicaDatabase, organisationId: number | undefined, projectId: number | undefined, environment: Pick<Environment, 'project'> | undefined): Observable<JumpTargets> {
  return combineLatest([
    organisationId ? projects$(db, organisationId) : of([]),
    projectId ? environments$(db, projectId) : of([]),
    environment ? projectFeatures$(db, environment.project) : of([]),
  ]).pipe(map(([projects, environments, features]) => ({ projects, environments, features })));
}
