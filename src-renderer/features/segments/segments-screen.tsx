import { useId, useState, type FormEvent } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Segment } from '../../data/api-client.js';
import { deleteSegment, loadSegments, saveSegment } from '../../data/project-data.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { useReplicaOrRest } from '../../replica/use-replica-source.js';
import { segments$ } from '../../replica/replica-queries.js';
import { newRule, RuleEditor, toEditableRules, toRulesInput, type EditableRule } from './segment-rules-editor.js';

function countConditions(rules: unknown): number {
  return (rules as { rules: unknown[]; conditions: unknown[] }[]).reduce((n, r) => n + r.conditions.length + countConditions(r.rules), 0);
}

/** The project's segments: a list, and an editor for the chosen (or a new) one with its rules tree. */
export function SegmentsScreen({ environment }: { environment: Environment }) {
  const { api } = useAppServices();
  const id = useId();
  const [reload, setReload] = useState(0);
  const [editing, setEditing] = useState<Segment | 'new' | null>(null);
  // The replica's list follows saves by itself (they replicate back); the API's is reloaded after one.
  const segments = useReplicaOrRest(
    { key: `segments:${environment.project}:${reload}`, load: () => loadSegments(api, environment.project) },
    { key: `segments:${environment.project}`, query: (db) => segments$(db, environment.project) },
  );
  const list = segments.status === 'ready' ? segments.data : segments.status === 'loading' ? segments.stale : undefined;

  return (
    <div className="segments">
      <section className="panel" aria-labelledby={`${id}-title`}>
        <div className="features-head">
          <h2 id={`${id}-title`}>Segments</h2>
          <button type="button" className="primary push-right" onClick={() => setEditing('new')}>
            New segment
          </button>
        </div>
        {segments.status === 'failed' && (
          <p role="alert" className="error">
            {describeError(segments.error)}
          </p>
        )}
        {list === undefined && segments.status === 'loading' && <p role="status">Loading…</p>}
        {list !== undefined && list.length === 0 && <p className="muted">No segments yet. A segment groups identities by their traits, for segment overrides.</p>}
        {list !== undefined && list.length > 0 && (
          <table aria-label="Segments of the project">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Conditions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id} className={editing !== 'new' && editing?.id === s.id ? 'selected' : undefined}>
                  <th scope="row">
                    <button type="button" className="link feature-name" onClick={() => setEditing(s)}>
                      {s.name}
                    </button>
                  </th>
                  <td className="muted">{s.description ?? ''}</td>
                  <td>{countConditions(s.rules)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {editing !== null && (
        <SegmentEditor
          key={editing === 'new' ? 'new' : `${editing.id}:${editing.updated_at}`}
          projectId={environment.project}
          segment={editing === 'new' ? null : editing}
          onSaved={(saved) => {
            setEditing(saved);
            setReload((r) => r + 1);
          }}
          onDeleted={() => {
            setEditing(null);
            setReload((r) => r + 1);
          }}
          onClose={() => setEditing(null)}
        />
      )}
    </div>
  );
}

interface EditorProps {
  projectId: number;
  segment: Segment | null;
  onSaved(segment: Segment): void;
  onDeleted(): void;
  onClose(): void;
}

function SegmentEditor({ projectId, segment, onSaved, onDeleted, onClose }: EditorProps) {
  const { api } = useAppServices();
  const id = useId();
  const [name, setName] = useState(segment?.name ?? '');
  const [description, setDescription] = useState(segment?.description ?? '');
  const [rules, setRules] = useState<EditableRule[]>(() => (segment ? toEditableRules(segment.rules) : [newRule('ALL')]));
  const [failure, setFailure] = useState<string | null>(null);
  const [isSaving, setSaving] = useState(false);
  const [isConfirmingDelete, setConfirmingDelete] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setFailure(null);
    try {
      onSaved(await saveSegment(api, projectId, segment?.id ?? null, { name: name.trim(), description: description.trim() || null, rules: toRulesInput(rules) }));
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="panel segment-editor" aria-labelledby={`${id}-title`} onSubmit={(e) => void save(e)}>
      <div className="draft-head">
        <h2 id={`${id}-title`}>{segment ? `Segment ${segment.name}` : 'New segment'}</h2>
        <button type="button" className="quiet" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="field-row">
        <label className="field-label" htmlFor={`${id}-name`}>
          Name
        </label>
        <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />
      </div>
      <div className="field-row">
        <label className="field-label" htmlFor={`${id}-description`}>
          Description
        </label>
        <input id={`${id}-description`} value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
      </div>
      <p className="muted">An identity is in the segment when every top-level rule matches.</p>
      {rules.map((rule, i) => (
        <RuleEditor
          key={rule.key}
          rule={rule}
          label={String(i + 1)}
          depth={1}
          onChange={(next) => setRules((all) => all.map((r) => (r.key === rule.key ? next : r)))}
          onRemove={() => setRules((all) => all.filter((r) => r.key !== rule.key))}
        />
      ))}
      <div className="rule-actions">
        <button type="button" onClick={() => setRules((all) => [...all, newRule('ALL')])}>
          Add rule
        </button>
      </div>
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      <div className="actions">
        {segment && (
          <button type="button" className="quiet" onClick={() => setConfirmingDelete(true)}>
            Delete segment
          </button>
        )}
        <button type="submit" className="primary" disabled={isSaving || name.trim() === ''}>
          {segment ? 'Save segment' : 'Create segment'}
        </button>
      </div>
      {isConfirmingDelete && segment && (
        <ConfirmDialog
          title={`Delete segment ${segment.name}?`}
          confirmLabel="Delete segment"
          isDestructive
          onCancel={() => setConfirmingDelete(false)}
          onConfirm={async () => {
            await deleteSegment(api, projectId, segment.id);
            onDeleted();
          }}
        >
          <p>Its segment overrides are removed from every environment.</p>
        </ConfirmDialog>
      )}
    </form>
  );
}
