import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Feature, Segment } from '../../data/api-client.js';
import { compareVersions, loadFeatureHistory, rollBackToVersion, type HistoryEntry } from '../../data/feature-history.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { shortId } from '../../ui/format.js';
import { useResource } from '../../ui/use-resource.js';
import { valueToText } from '../../data/flag-value.js';
import { DiffView } from '../versions/diff-view.js';
import { HistoryList, versionLabel } from './history-list.js';

interface Props {
  environment: Environment;
  feature: Feature;
  organisationId: number;
  segments: Segment[];
  onChanged(): void;
}

/** The History tab of a v2 feature: versions, compare any two, roll back with confirmation. */
export function HistoryTab({ environment, feature, organisationId, segments, onChanged }: Props) {
  const { api } = useAppServices();
  const id = useId();
  const [reload, setReload] = useState(0);
  const [selected, setSelected] = useState<string[]>([]);
  const [comparing, setComparing] = useState<[string, string] | null>(null);
  const [rollingBack, setRollingBack] = useState<HistoryEntry | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const history = useResource(`history:${environment.id}:${feature.id}:${reload}`, () => loadFeatureHistory(api, environment, feature, organisationId));
  const entries = history.status === 'ready' ? history.data : history.status === 'loading' ? history.stale : undefined;
  const comparison = useResource(comparing ? `compare:${comparing.join(':')}:${reload}` : null, () => {
    const [a, b] = comparing!.map((uuid) => entries!.find((e) => e.version.uuid === uuid)!);
    return compareVersions(api, environment, feature, a!, b!);
  });
  const segmentName = (segmentId: number) => segments.find((s) => s.id === segmentId)?.name ?? `Segment ${segmentId}`;
  const optionName = (optionId: number) => {
    const option = feature.multivariate_options.find((o) => o.id === optionId);
    return option ? `"${valueToText(option)}"` : `option ${optionId}`;
  };

  function toggle(uuid: string) {
    setSelected((s) => (s.includes(uuid) ? s.filter((x) => x !== uuid) : [...s, uuid].slice(-2)));
  }

  if (history.status === 'failed') {
    return (
      <p role="alert" className="error">
        {describeError(history.error)}
      </p>
    );
  }
  if (!entries) return <p role="status">Loading the history…</p>;
  return (
    <div className="history-tab" aria-busy={history.status === 'loading'}>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <div className="toolbar">
        <span className="muted">{selected.length < 2 ? 'Tick two versions to compare them.' : 'Two versions chosen.'}</span>
        <button type="button" className="primary" disabled={selected.length !== 2} onClick={() => setComparing([selected[0]!, selected[1]!])}>
          Compare
        </button>
      </div>
      <HistoryList featureName={feature.name} entries={entries} selected={selected} onToggleSelected={toggle} onRollBack={setRollingBack} />
      {comparing && (
        <section className="panel comparison" aria-labelledby={`${id}-compare`}>
          <div className="draft-head">
            <h3 id={`${id}-compare`}>
              {comparison.status === 'ready' ? `Comparing ${versionLabel(comparison.data.older)} → ${versionLabel(comparison.data.newer)}` : 'Comparing versions'}
            </h3>
            <button type="button" className="quiet" onClick={() => setComparing(null)}>
              Close comparison
            </button>
          </div>
          {comparison.status === 'loading' && <p role="status">Loading the comparison…</p>}
          {comparison.status === 'failed' && (
            <p role="alert" className="error">
              {describeError(comparison.error)}
            </p>
          )}
          {comparison.status === 'ready' && (
            <DiffView
              changes={comparison.data.diff.changes}
              before={comparison.data.older.states}
              after={comparison.data.newer.states}
              beforeLabel={`Older (${shortId(comparison.data.older.version.uuid)})`}
              afterLabel={`Newer (${shortId(comparison.data.newer.version.uuid)})`}
              segmentName={segmentName}
              optionName={optionName}
            />
          )}
        </section>
      )}
      {rollingBack && (
        <ConfirmDialog
          title={`Roll back ${feature.name}?`}
          confirmLabel="Roll back"
          onCancel={() => setRollingBack(null)}
          onConfirm={async () => {
            await rollBackToVersion(api, environment, feature, rollingBack.version.uuid);
            setNotice(`Rolled back: the version of ${versionLabel(rollingBack)} is live again as a new version.`);
            setRollingBack(null);
            setSelected([]);
            setComparing(null);
            setReload((r) => r + 1);
            onChanged();
          }}
        >
          <p>
            A new version with the content of the version of {versionLabel(rollingBack)} is published in {environment.name} now. The versions in between stay in the history.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
