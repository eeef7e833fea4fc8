import { useRef, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Feature } from '../../data/api-client.js';
import { loadFeatureEditor, saveFeatureEditor } from '../../data/feature-editing.js';
import { valueToText } from '../../data/flag-value.js';
import { describeError } from '../../ui/error-text.js';
import { useResource } from '../../ui/use-resource.js';
import { DraftPanel } from './draft-panel.js';
import { ValueEditor } from './value-editor.js';

interface Props {
  environment: Environment;
  feature: Feature;
  /** Called after a save or publish changed the feature. */
  onChanged(): void;
}

/** The Value tab: the editor, and on v2 the draft with its diff and publish controls. */
export function ValueTab({ environment, feature, onChanged }: Props) {
  const { api } = useAppServices();
  const [reload, setReload] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const editor = useResource(`editor:${environment.id}:${environment.use_v2_feature_versioning}:${feature.id}:${reload}`, () => loadFeatureEditor(api, environment, feature));
  const data = editor.status === 'ready' ? editor.data : editor.status === 'loading' ? editor.stale : undefined;
  // The editor and draft panel restart when new data arrives (not while the old data is shown stale).
  const generations = useRef({ last: undefined as object | undefined, count: 0 });
  if (data && generations.current.last !== data) generations.current = { last: data, count: generations.current.count + 1 };
  const generation = generations.current.count;

  function refresh(message: string | null) {
    setNotice(message);
    setReload((r) => r + 1);
    onChanged();
  }

  if (editor.status === 'failed') {
    return (
      <p role="alert" className="error">
        {describeError(editor.error)}
      </p>
    );
  }
  if (!data) return <p role="status">Loading…</p>;
  const draft = data.source.kind === 'v2' ? data.source.draft : null;
  return (
    <div className="value-tab" aria-busy={editor.status === 'loading'}>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {draft && <DraftPanel key={`draft-${generation}`} environment={environment} feature={feature} draft={draft} segments={data.segments} onDone={(message) => refresh(message)} />}
      <ValueEditor
        key={`editor-${generation}`}
        content={data.content}
        segments={data.segments}
        mode={data.source.kind}
        environmentName={environment.name}
        options={feature.multivariate_options.map((o) => ({ id: o.id, label: valueToText(o) }))}
        onSave={async (edited) => {
          await saveFeatureEditor(api, environment, feature, data, edited);
          refresh(data.source.kind === 'v2' ? 'Draft saved. Review the changes and publish when ready.' : 'Saved.');
        }}
      />
    </div>
  );
}
