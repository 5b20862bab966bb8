// Records what each browser SDK sends and needs, into core/sdk/SDK.json (the data `corsmatch
// doctor` replays through the engine), or checks that the files still say what the SDKs do.
//
//   node e2e/sdk/record.mjs --check   re-record into a temporary directory; exit 1 with a diff
//                                     when it differs from core/sdk/*.json
//   node e2e/sdk/record.mjs --write   re-record and overwrite core/sdk/*.json
//
// For each SDK (harness.mjs SDKS), against `corsmatch serve --profile P --credentials --record`
// from a page at http://app.example.test (Chromium maps it to loopback):
//  1. Every operation runs under a configuration that allows the page everything
//     (AllowedHeader *, every method) and exposes every non-safelisted response header serve
//     sent; the set grows until it holds all of them. Each operation must succeed.
//     Its requests, from serve's --record, become the file's entries: one per distinct request
//     shape, in order; `headers` are the ACRH items of the preflight Chromium sent before it.
//  2. `reads`, by ablation: the operations run again with nothing exposed. Those that still
//     succeed read nothing. For each one that fails, each exposed header its responses carried
//     is removed alone (the rest kept); a removal that makes it fail (twice: a slow machine
//     does not make a header needed) marks that header needed, for the requests whose responses
//     carried it.
// Nothing run-specific (ports, dates, Chromium's version) goes into the files.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as h from './harness.mjs';

/** Response headers a page reads without ExposeHeader (Fetch's CORS-safelisted names). */
const SAFELISTED = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);
/** Sent on every answer by hyper, not by the handlers: it is not in --record's names. */
const ADDED_BY_HYPER = ['date'];

function exposable(names) {
  return names.filter((n) => !SAFELISTED.has(n) && !n.startsWith('access-control-'));
}

/** The headers a request's response carried, hyper's included. */
function carried(record) {
  return new Set([...record.response_headers, ...ADDED_BY_HYPER]);
}

/**
 * The actual requests of one operation, each with the preflight Chromium sent for it (the
 * OPTIONS before it on the same URL whose ACRM is its method), in the order serve answered
 * them. Preflights nothing followed are dropped: with the allowing configuration there are none.
 */
export function requestShapes(records) {
  const pending = [];
  const out = [];
  for (const r of records) {
    if (r.preflight) {
      pending.push(r);
      continue;
    }
    const at = pending.findIndex((p) => p.acrm === r.method && p.path === r.path && p.query === r.query);
    const preflight = at >= 0 ? pending.splice(at, 1)[0] : null;
    const headers = preflight?.acrh
      ? preflight.acrh
          .split(',')
          .map((x) => x.trim().toLowerCase())
          .filter(Boolean)
      : [];
    out.push({ api: r.operation, method: r.method, preflight: !!preflight, headers, record: r });
  }
  return out;
}

/** Runs `ops` under `expose`; retried ops are those that failed, when `confirm`. */
async function runUnder(env, expose, ops, confirm = false) {
  await env.serve.putCors(h.goodConfig(env.origin, expose));
  let results = await h.runOperations({ ...env, ops });
  if (confirm) {
    const failed = results.filter((r) => !r.ok).map((r) => r.op);
    if (failed.length) {
      const again = await h.runOperations({ ...env, ops: failed });
      results = results.map((r) => again.find((a) => a.op === r.op && a.ok) ?? r);
    }
  }
  return results;
}

/** Records one SDK; resolves to its profile object. */
export async function recordSdk({ browser, serve, origin, sdk, log = () => {} }) {
  const env = { browser, serve, pageOrigin: origin, sdk, origin };
  const ops = h.OPERATIONS;

  // 1. The allowing configuration, grown until it exposes everything serve sends. Its first
  // round exposes nothing: that is also step 2's first run.
  let expose = [];
  let results;
  let bare;
  for (let round = 0; ; round++) {
    results = await runUnder(env, expose, ops, round === 0);
    if (round === 0) bare = results;
    const sent = new Set(ADDED_BY_HYPER);
    for (const r of results) for (const rec of r.records) for (const n of exposable(rec.response_headers)) sent.add(n);
    const grown = [...new Set([...expose, ...sent])].sort();
    if (round > 0 && grown.length === expose.length) break;
    if (round === 4) throw new Error(`${sdk}: the response headers did not settle: ${grown.join(', ')}`);
    expose = grown;
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    throw new Error(`${sdk}: operations failed under the allowing configuration:\n${failed.map((r) => `  ${r.op}: ${r.error}`).join('\n')}`);
  }
  log(`${sdk}: every operation succeeds exposing ${expose.join(', ')}`);

  // 2. Ablation.
  const needed = Object.fromEntries(ops.map((op) => [op, new Set()]));
  const failing = bare.filter((r) => !r.ok).map((r) => r.op);
  log(`${sdk}: with nothing exposed, ${failing.length ? `${failing.join(', ')} fail` : 'every operation succeeds'}`);
  const base = Object.fromEntries(results.map((r) => [r.op, r]));
  for (const header of expose) {
    const candidates = failing.filter((op) => base[op].records.some((rec) => carried(rec).has(header)));
    if (!candidates.length) continue;
    const without = await runUnder(
      env,
      expose.filter((x) => x !== header),
      candidates,
      true,
    );
    for (const r of without) {
      if (!r.ok) {
        needed[r.op].add(header);
        log(`${sdk}: ${r.op} needs ${header} exposed: ${r.error}`);
      }
    }
  }
  for (const op of failing) {
    if (!needed[op].size) {
      throw new Error(`${sdk}: ${op} fails with nothing exposed, but with no single header removed: ablation cannot name one`);
    }
  }

  // The file.
  const operations = ops.map((op) => {
    const seen = new Set();
    const requests = [];
    for (const shape of requestShapes(base[op].records)) {
      const reads = [...needed[op]].filter((n) => carried(shape.record).has(n)).sort();
      const entry = { api: shape.api, method: shape.method, preflight: shape.preflight, headers: shape.headers, reads };
      const id = JSON.stringify(entry);
      if (seen.has(id)) continue;
      seen.add(id);
      requests.push(entry);
    }
    return { operation: op, requests };
  });
  const spec = h.SDKS[sdk];
  return { sdk, profile: spec.profile, packages: h.packageVersions(spec.packages), operations };
}

export function profileText(profile) {
  return `${JSON.stringify(profile, null, 2)}\n`;
}

/** Records every SDK into `outDir` (SDK.json each), the SDKs side by side. */
export async function recordAll(outDir, log = () => {}) {
  const tmp = h.tempDir('corsmatch-sdk-record-');
  const page = await h.startPageServer();
  const browser = await h.launchBrowser(page.port);
  const origin = h.pageOrigins(page.port).defaultPort;
  const serves = [];
  try {
    await Promise.all(
      Object.keys(h.SDKS).map(async (sdk) => {
        const serve = await h.startServe({ profile: h.SDKS[sdk].profile, bucket: 'sdk-record', tmp });
        serves.push(serve);
        const t = Date.now();
        const profile = await recordSdk({ browser, serve, origin, sdk, log });
        fs.writeFileSync(path.join(outDir, `${sdk}.json`), profileText(profile));
        log(`${sdk}: recorded in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      }),
    );
  } finally {
    await browser.close().catch(() => {});
    await page.close();
    for (const s of serves) s.kill();
  }
}

async function main() {
  const mode = process.argv[2];
  if (mode !== '--check' && mode !== '--write') {
    console.error('usage: node e2e/sdk/record.mjs --check | --write');
    process.exit(2);
  }
  const target = path.join(h.root, 'core', 'sdk');
  const log = (line) => console.log(`record: ${line}`);
  if (mode === '--write') {
    await recordAll(target, log);
    console.log(`record: wrote ${Object.keys(h.SDKS).map((s) => `core/sdk/${s}.json`).join(', ')}`);
    return;
  }
  const out = h.tempDir('corsmatch-sdk-check-');
  await recordAll(out, log);
  let drifted = false;
  for (const sdk of Object.keys(h.SDKS)) {
    const kept = path.join(target, `${sdk}.json`);
    const fresh = path.join(out, `${sdk}.json`);
    const keptText = fs.existsSync(kept) ? fs.readFileSync(kept, 'utf8') : '';
    if (keptText === fs.readFileSync(fresh, 'utf8')) {
      console.log(`record: core/sdk/${sdk}.json matches what ${sdk} does in Chromium`);
      continue;
    }
    drifted = true;
    let diff = '';
    try {
      execFileSync('diff', ['-u', '--label', `core/sdk/${sdk}.json (kept)`, '--label', `${sdk} (recorded now)`, kept, fresh], {
        encoding: 'utf8',
      });
    } catch (e) {
      diff = e.stdout || String(e);
    }
    console.error(`record: core/sdk/${sdk}.json no longer says what ${sdk} does in Chromium:\n${diff}`);
  }
  if (drifted) {
    console.error('record: if the change is expected (a lock file moved), run: node e2e/sdk/record.mjs --write');
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(`record: ${e.stack || e}`);
      process.exit(1);
    },
  );
}
