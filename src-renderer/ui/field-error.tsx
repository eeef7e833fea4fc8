/** A server's or a rule's complaint about one field, shown under it and naming it ("Name: must not be blank"). */
export function FieldError({ id, field, message }: { id?: string; field: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} role="alert" className="error field-error">
      {field}: {message}
    </p>
  );
}
