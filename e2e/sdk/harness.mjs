// The machinery of the SDK tests (sdk.test.mjs, record.mjs, matrix.test.mjs): the SDKs
// bundled for the browser with esbuild, `corsmatch serve` with --credentials and --record,
// a page server on a realistic origin (http://app.example.test:PORT, which Chromium maps to
// loopback with --host-resolver-rules), headless Chromium, and one operation run in a fresh
// browser context (an empty preflight cache) against a configuration installed with a signed
// PutBucketCors.
//
// Why not Playwright's page.route for the page: with any route installed, Playwright answers
// every CORS preflight itself, with a permissive 204 (crNetworkManager), so the endpoint would
// never see one. The page comes from a real server.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

import { bytes as pageBytes } from './browser/common.js';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const BIN = process.env.CORSMATCH_BIN ?? path.join(root, 'target', 'release', 'corsmatch');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The page's host name; Chromium resolves it to 127.0.0.1. */
export const PAGE_HOST = 'app.example.test';
export const ACCESS_KEY = 'AKIDCORSMATCHE2E';
export const SECRET_KEY = 'e2e/Secret+Key0123456789abcdefghij';

/** The operations, in the order of the recorded files and the doctor. */
export const OPERATIONS = [
  'PutObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'MultipartUpload',
  'PresignedGet',
  'PresignedPut',
  'PostObject',
];

/** Each SDK: its page bundle, its serve profile, its packages, the multipart sizes. */
export const SDKS = {
  'aws-js-v3': {
    entry: 'aws.js',
    profile: 's3',
    packages: ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/s3-request-presigner', '@aws-sdk/s3-presigned-post'],
    // S3's smallest part other than the last: 5 MiB (serve enforces it). Two parts.
    partSize: 5 << 20,
    multipartSize: (5 << 20) + 1024,
  },
  'ali-oss': {
    entry: 'ali.js',
    profile: 'oss',
    packages: ['ali-oss'],
    // OSS's smallest part: 100 KiB (ali-oss's minimum too). Two parts.
    partSize: 100 << 10,
    multipartSize: (100 << 10) + 1024,
  },
};

/** Small objects: a few KiB, not a multiple of anything. */
export const SMALL = 3000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A promise that rejects after `ms` with `what`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The page's bytes, in Node: browser/common.js's generator, as a Buffer. */
export function bytes(size, seed) {
  return Buffer.from(pageBytes(size, seed).buffer);
}

/** The installed version of each package (from its package.json under node_modules). */
export function packageVersions(names) {
  const out = {};
  for (const name of names) {
    const file = path.join(root, 'e2e', 'node_modules', ...name.split('/'), 'package.json');
    out[name] = JSON.parse(fs.readFileSync(file, 'utf8')).version;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The page bundles

let bundles;

/** `{ 'aws-js-v3': code, 'ali-oss': code }`, built once per process. */
export async function buildBundles() {
  if (bundles) return bundles;
  bundles = {};
  for (const [sdk, { entry }] of Object.entries(SDKS)) {
    const result = await esbuild.build({
      entryPoints: [path.join(here, 'browser', entry)],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      logLevel: 'error',
      minify: true,
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    });
    bundles[sdk] = result.outputFiles[0].contents;
  }
  return bundles;
}

// ---------------------------------------------------------------------------------------
// Servers

/** A free loopback port (for Chromium's --host-resolver-rules before the server starts). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The page server: `/SDK.html` loads `/SDK.js`. `port` 0 picks one. */
export async function startPageServer(port = 0, host = '127.0.0.1') {
  const code = await buildBundles();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const m = url.pathname.match(/^\/([a-z0-9-]+)\.(html|js)$/);
    if (!m || !code[m[1]]) {
      res.writeHead(404).end();
      return;
    }
    const body =
      m[2] === 'js'
        ? Buffer.from(code[m[1]])
        : Buffer.from(`<!doctype html><meta charset="utf-8"><title>${m[1]}</title><script src="/${m[1]}.js"></script>`);
    const type = m[2] === 'js' ? 'text/javascript' : 'text/html; charset=utf-8';
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { server, port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/**
 * `corsmatch serve --profile P --credentials AK:SK --record FILE --bucket NAME` on a port of
 * its own choosing; resolves when it listens.
 */
export async function startServe({ profile, bucket, tmp }) {
  const recordPath = path.join(tmp, `record-${profile}.jsonl`);
  const args = [
    'serve',
    '--profile',
    profile,
    '--addr',
    '127.0.0.1:0',
    '--credentials',
    `${ACCESS_KEY}:${SECRET_KEY}`,
    '--record',
    recordPath,
    '--bucket',
    bucket,
  ];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const port = await withTimeout(
    new Promise((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`corsmatch serve exited with ${code}:\n${err}`)));
    }),
    15_000,
    'corsmatch serve start',
  );
  return new Serve({ child, port, profile, bucket, recordPath, stderr: () => err, kill });
}

/** A running `corsmatch serve`, with a signed API for the test's own setup and checks. */
export class Serve {
  constructor({ child, port, profile, bucket, recordPath, stderr, kill }) {
    Object.assign(this, { child, port, profile, bucket, recordPath, stderr, kill });
    this.oss = profile === 'oss';
  }

  /** The endpoint as the SDK is given it. ali-oss addresses BUCKET.localhost:PORT itself. */
  get endpoint() {
    return this.oss ? `http://localhost:${this.port}` : `http://127.0.0.1:${this.port}`;
  }

  /**
   * A request from Node (no Origin): signed with SigV2 (s3) or OSS v1 (oss), which serve
   * verifies under --credentials. Resolves to { status, headers, body }.
   */
  api(method, key, { query = '', body = null, contentType = '' } = {}) {
    const bucket = this.bucket;
    const data = body == null ? Buffer.alloc(0) : Buffer.from(body);
    const md5 = data.length ? crypto.createHash('md5').update(data).digest('base64') : '';
    const date = new Date().toUTCString();
    const prefix = this.oss ? 'x-oss-' : 'x-amz-';
    const headers = { [`${prefix}date`]: date, host: `127.0.0.1:${this.port}` };
    if (md5) headers['content-md5'] = md5;
    if (contentType) headers['content-type'] = contentType;
    headers['content-length'] = String(data.length);
    // S3 SigV2 leaves the date line empty when x-amz-date is sent; OSS v1 puts x-oss-date there.
    const resource = `/${bucket}/${key ? encodeURI(key) : ''}${query ? `?${query}` : ''}`;
    const toSign = [method, md5, contentType, this.oss ? date : '', `${prefix}date:${date}`].join('\n') + '\n' + resource;
    const signature = crypto.createHmac('sha1', SECRET_KEY).update(toSign).digest('base64');
    headers.authorization = `${this.oss ? 'OSS' : 'AWS'} ${ACCESS_KEY}:${signature}`;
    const pathPart = `/${bucket}/${key ? encodeURI(key) : ''}${query ? `?${query}` : ''}`;
    return withTimeout(
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: this.port, method, path: pathPart, headers }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(data);
      }),
      20_000,
      `${method} ${pathPart}`,
    );
  }

  /** Installs a CORS configuration; resolves to the version serve installed. */
  async putCors(xml) {
    const r = await this.api('PUT', '', { query: 'cors', body: xml, contentType: 'application/xml' });
    if (r.status !== 200) throw new Error(`PutBucketCors: ${r.status} ${r.body.toString().slice(0, 400)}`);
    return Number(r.headers['x-corsmatch-config-version']);
  }

  async putObject(key, data) {
    const r = await this.api('PUT', key, { body: data, contentType: 'application/octet-stream' });
    if (r.status !== 200) throw new Error(`PutObject ${key}: ${r.status} ${r.body.toString().slice(0, 400)}`);
  }

  /** The object's bytes, or null when there is none. */
  async getObject(key) {
    const r = await this.api('GET', key);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`GetObject ${key}: ${r.status} ${r.body.toString().slice(0, 400)}`);
    return r.body;
  }

  /** The record's lines written since `mark` (a byte offset; `recordMark()`). */
  recordSince(mark) {
    const text = fs.existsSync(this.recordPath) ? fs.readFileSync(this.recordPath) : Buffer.alloc(0);
    return text
      .subarray(mark)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }

  recordMark() {
    return fs.existsSync(this.recordPath) ? fs.statSync(this.recordPath).size : 0;
  }
}

// ---------------------------------------------------------------------------------------
// The browser

/**
 * Headless Chromium with `app.example.test` resolved to loopback. With `pagePort`, the
 * default port too: http://app.example.test/ (port 80, as a production page has it) reaches
 * the page server on its run-time port, so the page's Origin carries no port
 * (`http://app.example.test`) and no privileged port is needed.
 */
export async function launchBrowser(pagePort) {
  const rules = [pagePort ? `MAP ${PAGE_HOST}:80 127.0.0.1:${pagePort}` : null, `MAP ${PAGE_HOST} 127.0.0.1`];
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=${rules.filter(Boolean).join(', ')}`],
    timeout: 30_000,
  });
}

/** The page's origins: the default-port one, and the same host with the server's port. */
export function pageOrigins(pagePort) {
  return { defaultPort: `http://${PAGE_HOST}`, withPort: `http://${PAGE_HOST}:${pagePort}` };
}

/**
 * The arguments of one operation: a unique key (so that no preflight cached by an earlier
 * run answers for this one), the sizes, and where the endpoint is.
 */
let unique = 0;
export function opArgs(serve, sdk, op) {
  unique += 1;
  const multipart = op === 'MultipartUpload';
  const spec = SDKS[sdk];
  return {
    endpoint: serve.endpoint,
    bucket: serve.bucket,
    key: `e2e/${op}/${process.pid}-${Date.now()}-${unique}.bin`,
    size: multipart ? spec.multipartSize : SMALL,
    partSize: spec.partSize,
    seed: 1000 + unique,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
  };
}

/** What an operation needs in the bucket before it runs in the page. */
async function prepare(serve, op, a) {
  if (['GetObject', 'HeadObject', 'DeleteObject', 'PresignedGet'].includes(op)) {
    await serve.putObject(a.key, bytes(a.size, a.seed));
  }
}

/** The round trip, checked from Node after the page said it succeeded. */
async function verify(serve, op, a) {
  if (['PutObject', 'MultipartUpload', 'PresignedPut', 'PostObject'].includes(op)) {
    const got = await serve.getObject(a.key);
    if (!got) return `${op}: the page said it succeeded, but no object ${a.key} was stored`;
    if (!got.equals(bytes(a.size, a.seed))) return `${op}: the stored object differs from the page's bytes`;
  }
  if (op === 'DeleteObject' && (await serve.getObject(a.key))) return 'DeleteObject: the object is still there';
  return null;
}

/**
 * Runs operations of `sdk`, one after the other, on one page at `pageOrigin` in a new browser
 * context: its preflight cache starts empty, and every operation uses keys of its own, so no
 * preflight answer cached for one operation (or for an earlier configuration) is reused by
 * another. Resolves to one { op, ok, error, records } per operation: `records` are the
 * browser's requests (Origin set) as serve recorded them, in order.
 */
export async function runOperations({ browser, serve, pageOrigin, sdk, ops, timeoutMs = 45_000 }) {
  const context = await browser.newContext();
  const results = [];
  try {
    const page = await context.newPage();
    await page.goto(`${pageOrigin}/${sdk}.html`, { timeout: 15_000 });
    await page.waitForFunction(() => !!window.corsmatchSdk, null, { timeout: 15_000 });
    for (const op of ops) {
      const started = Date.now();
      const a = opArgs(serve, sdk, op);
      await prepare(serve, op, a);
      const mark = serve.recordMark();
      let result;
      try {
        result = await withTimeout(
          page.evaluate(([name, args]) => window.corsmatchSdk.run(name, args), [op, a]),
          timeoutMs,
          `${sdk} ${op}`,
        );
      } catch (e) {
        result = { ok: false, error: `harness: ${e.message}` };
      }
      if (result.ok) {
        const problem = await verify(serve, op, a);
        if (problem) result = { ok: false, error: problem };
      }
      // The page's requests for this operation: an earlier one that failed may still have a
      // part in flight, on a key of its own.
      const mine = (r) => !r.path.includes('/e2e/') || r.path.endsWith(encodeURI(a.key));
      const records = serve.recordSince(mark).filter((r) => r.origin === pageOrigin && mine(r));
      results.push({ op, ...result, records, key: a.key, ms: Date.now() - started });
    }
  } finally {
    await context.close().catch(() => {});
  }
  return results;
}

/** A fresh temporary directory, removed at exit. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------
// Configurations

/** The configuration every operation of `sdk` needs from `origin`: AllowedHeader * and the
 * response headers of `expose`. */
export function goodConfig(origin, expose) {
  const methods = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].map((m) => `    <AllowedMethod>${m}</AllowedMethod>`);
  const exposed = expose.map((h) => `    <ExposeHeader>${h}</ExposeHeader>`);
  return [
    '<CORSConfiguration>',
    '  <CORSRule>',
    `    <AllowedOrigin>${origin}</AllowedOrigin>`,
    ...methods,
    '    <AllowedHeader>*</AllowedHeader>',
    ...exposed,
    '  </CORSRule>',
    '</CORSConfiguration>',
    '',
  ].join('\n');
}
