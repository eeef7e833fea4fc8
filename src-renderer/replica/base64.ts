/*
 * Base64 for Yjs updates in the renderer, which has no Buffer: the drafts collection carries each draft's
 * Yjs state as base64 text (the server decodes it with Buffer). Chunked so that a large update never
 * passes too many arguments to String.fromCharCode.
 */
const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
