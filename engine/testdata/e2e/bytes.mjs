// Binary payload helpers shared by the Node.js scripts (through lib.mjs)
// and the browser page (browser-page.js, which browser_test.go serves this
// file to). No imports: it runs in both.

// pattern is the deterministic byte pattern both sides generate to check
// binary payloads byte for byte (same formula as e2ePattern in
// e2e_helpers_test.go).
export function pattern(n, seed) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

// sameBytes reports whether got (Buffer, ArrayBuffer or typed array) holds
// exactly the bytes of want.
export function sameBytes(got, want) {
  let u;
  if (got instanceof ArrayBuffer) u = new Uint8Array(got);
  else if (ArrayBuffer.isView(got)) u = new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
  else return false;
  if (u.length !== want.length) return false;
  for (let i = 0; i < u.length; i++) if (u[i] !== want[i]) return false;
  return true;
}
