// What both SDK pages share: the test's bytes, made in the page from a seed (megabytes need
// not cross the DevTools protocol), and their comparison. The page's origin is plain http on
// a made-up host, not a secure context: no crypto.subtle, as on many a developer's machine.

/** `size` bytes from `seed` (xorshift32): the same in the page and in Node (harness.mjs). */
export function bytes(size, seed) {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Throws unless `got` holds exactly `want`'s bytes. */
export function sameBytes(got, want, what) {
  const g = got instanceof Uint8Array ? got : new Uint8Array(got);
  if (g.length !== want.length) throw new Error(`${what}: ${g.length} bytes, expected ${want.length}`);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== want[i]) throw new Error(`${what}: byte ${i} differs`);
  }
}

/** A File, as a page's <input type=file> gives one. */
export function file(size, seed, name = 'upload.bin', type = 'application/octet-stream') {
  return new File([bytes(size, seed)], name, { type });
}

/** Runs `ops[name](args)` and reports { ok, error } (an exception is the operation failing). */
export async function run(ops, name, args) {
  const op = ops[name];
  if (!op) return { ok: false, error: `no operation ${name}` };
  try {
    const detail = await op(args);
    return { ok: true, detail: detail ?? null };
  } catch (e) {
    const text = `${e && e.name ? e.name : 'Error'}: ${e && e.message ? e.message : String(e)}`;
    return { ok: false, error: text.slice(0, 500) };
  }
}
