// corsmatch serve against a real browser: headless Chromium (Debian's) driven by
// playwright-core. A page server answers on two origins, http://localhost:A (allowed by
// cors.xml) and http://127.0.0.1:A (not), and the endpoint is corsmatch serve on
// http://127.0.0.1:B, with one bucket, `example` (--config cors.xml), addressed path style
// (http://127.0.0.1:B/example/KEY) and public-read-write, so that the page's unsigned
// (anonymous) requests may write. Each test runs fetch or XMLHttpRequest in a page and checks
// both what the browser let the page see and what the engine decided, from serve's --log
// file: the preflight there is Chromium's own.
//
// Run by e2e/run-tests.sh; alone: CORSMATCH_BIN=target/release/corsmatch node --test e2e/cors.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.CORSMATCH_BIN ?? path.join(here, '..', 'target', 'release', 'corsmatch');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
const TIMEOUT = { timeout: 30_000 };
const BUCKET = 'example'; // what --config names the bucket
const ROOT = `/${BUCKET}`; // the bucket's path: PostObject forms are posted there

let tmp; // a fresh directory: the live configuration, the decision log, Chromium's profile
let configPath;
let logPath;
let serve; // the corsmatch serve process
let serveOut = '';
let serveErr = '';
let endpoint; // http://127.0.0.1:B
let bucketUrl; // http://127.0.0.1:B/example
let pageServer;
let allowedOrigin; // http://localhost:A
let deniedOrigin; // http://127.0.0.1:A
let context;
let allowedPage;
let deniedPage;

// ---------------------------------------------------------------------------------------
// Servers and the browser

async function startServe() {
  const args = ['serve', '--config', configPath, '--bucket-acl', 'public-read-write', '--addr', '127.0.0.1:0', '--log', logPath];
  serve = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stdout.setEncoding('utf8').on('data', (d) => (serveOut += d));
  serve.stderr.setEncoding('utf8').on('data', (d) => (serveErr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`corsmatch serve did not start:\n${serveOut}\n${serveErr}`)), 15_000);
    serve.stdout.on('data', () => {
      const m = serveOut.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    serve.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`corsmatch serve exited with ${code}:\n${serveErr}`));
    });
  });
}

async function startPageServer() {
  const html = fs.readFileSync(path.join(here, 'page.html'));
  pageServer = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': html.length });
      res.end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  return pageServer.address().port;
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corsmatch-e2e-'));
  configPath = path.join(tmp, 'cors.xml');
  logPath = path.join(tmp, 'decisions.jsonl');
  fs.copyFileSync(path.join(here, 'cors.xml'), configPath);
  endpoint = await startServe();
  bucketUrl = `${endpoint}${ROOT}`;
  const port = await startPageServer();
  allowedOrigin = `http://localhost:${port}`;
  deniedOrigin = `http://127.0.0.1:${port}`;
  context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  allowedPage = await context.newPage();
  await allowedPage.goto(`${allowedOrigin}/`);
  deniedPage = await context.newPage();
  await deniedPage.goto(`${deniedOrigin}/`);
});

// Whatever happens, leave no server behind.
process.on('exit', () => {
  if (serve && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
});

after(async () => {
  await context?.close().catch(() => {});
  await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve()));
  if (serve && serve.exitCode === null && serve.signalCode === null) {
    serve.kill('SIGKILL');
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------
// Helpers

/** fetch() in the page; `resolved` is false when the browser refused (a TypeError). */
function pageFetch(page, url, init = {}) {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const r = await fetch(url, init);
        const body = await r.text();
        return {
          resolved: true,
          status: r.status,
          body,
          etag: r.headers.get('etag'),
          requestId: r.headers.get('x-oss-request-id'),
        };
      } catch (e) {
        return { resolved: false, error: `${e.name}: ${e.message}` };
      }
    },
    { url, init },
  );
}

/** A multipart form POST (FormData) from the page: a simple request, never preflighted. */
function pageFormPost(page, url, fields, file) {
  return page.evaluate(
    async ({ url, fields, file }) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([file.text], { type: 'text/plain' }), file.name);
      try {
        const r = await fetch(url, { method: 'POST', body: form });
        return { resolved: true, status: r.status, body: await r.text(), etag: r.headers.get('etag') };
      } catch (e) {
        return { resolved: false, error: `${e.name}: ${e.message}` };
      }
    },
    { url, fields, file },
  );
}

/** XMLHttpRequest from the page; `loaded` is false when it ended in an error (status 0).
 * With `form` ({ fields, file: { name, text } }) the body is a FormData built in the page. */
function pageXhr(page, { url, method, headers = {}, body = null, form = null, withCredentials = false, watchUpload = false }) {
  return page.evaluate(
    ({ url, method, headers, body, form, withCredentials, watchUpload }) =>
      new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open(method, url);
        x.withCredentials = withCredentials;
        for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
        let progress = 0;
        // An upload listener makes even a simple request go through a preflight (Fetch spec).
        if (watchUpload) x.upload.onprogress = () => progress++;
        x.onload = () => resolve({ loaded: true, status: x.status, etag: x.getResponseHeader('ETag'), progress });
        x.onerror = () => resolve({ loaded: false, status: x.status });
        if (form) {
          const data = new FormData();
          for (const [k, v] of Object.entries(form.fields)) data.append(k, v);
          data.append('file', new Blob([form.file.text], { type: 'text/plain' }), form.file.name);
          body = data;
        }
        x.send(body);
      }),
    { url, method, headers, body, form, withCredentials, watchUpload },
  );
}

function logEntries() {
  const text = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** The `seq` of the newest decision logged so far: `decisions(path, logMark())` later gives
 * only what came after. */
function logMark() {
  return logEntries().reduce((m, d) => Math.max(m, d.seq), 0);
}

/** The decisions serve logged for the browser's requests to a path (`/example/...`), oldest
 * first, after the entry `since` (a `seq`); the test's own requests from Node, which send no
 * Origin, are left out. */
function decisions(pathname, since = 0) {
  return logEntries().filter((d) => d.path === pathname && d.origin !== null && d.seq > since);
}

function header(decision, name) {
  const h = decision.headers.find(([n]) => n.toLowerCase() === name.toLowerCase());
  return h ? h[1] : null;
}

/** A request from Node itself, not the browser: to look at the bucket behind its back
 * (anonymous, as the bucket is public-read-write). */
async function direct(method, pathname, body) {
  const r = await fetch(`${endpoint}${pathname}`, { method, body });
  return { status: r.status, body: await r.text(), headers: r.headers };
}

async function serveConfig() {
  return (await fetch(`${endpoint}/_corsmatch/config?bucket=${BUCKET}`)).json();
}

/** Waits (bounded: 10 s) until the server's configuration satisfies `ok`. */
async function waitForConfig(ok, what) {
  for (let i = 0; i < 100; i++) {
    const c = await serveConfig();
    if (ok(c)) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the server never reached: ${what}\n${serveErr}`);
}

// ---------------------------------------------------------------------------------------
// The tests (they run one after another, in this order)

describe('corsmatch serve in headless Chromium', () => {
  test('fetch PUT with x-oss-meta-* headers from an allowed origin: preflight, then upload', TIMEOUT, async () => {
    const url = `${bucketUrl}/t1/photo.json`;
    const init = {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-OSS-Meta-Author': 'ann', 'x-oss-meta-color': 'blue' },
      body: '{"a":1}',
    };
    const r = await pageFetch(allowedPage, url, init);
    assert.equal(r.resolved, true, r.error);
    assert.equal(r.status, 200);
    const stored = await direct('GET', `${ROOT}/t1/photo.json`);
    assert.equal(stored.body, '{"a":1}');
    assert.equal(stored.headers.get('x-oss-meta-author'), 'ann');
    assert.equal(stored.headers.get('content-type'), 'application/json');
    assert.equal(r.etag, stored.headers.get('etag'), 'ETag is exposed to the page');
    assert.equal(r.requestId, null, 'x-oss-request-id is not exposed by this configuration');

    const log = decisions(`${ROOT}/t1/photo.json`);
    assert.deepEqual(
      log.map((d) => d.method),
      ['OPTIONS', 'PUT'],
    );
    const [pre, put] = log;
    // Chromium's own preflight: the unsafe header names, lowercased, sorted, joined by ",".
    assert.equal(pre.bucket, BUCKET);
    assert.equal(pre.origin, allowedOrigin);
    assert.equal(pre.acrm, 'PUT');
    assert.equal(pre.acrh, 'content-type,x-oss-meta-author,x-oss-meta-color');
    assert.equal(pre.status, 200);
    assert.equal(pre.rule, 0);
    assert.equal(header(pre, 'Access-Control-Allow-Headers'), 'content-type, x-oss-meta-author, x-oss-meta-color');
    assert.equal(header(pre, 'Access-Control-Max-Age'), '600');
    assert.equal(put.origin, allowedOrigin);
    assert.equal(put.acrm, null);
    assert.equal(put.rule, 0);
    assert.equal(put.status, null);

    // Max-Age 600: the browser reuses the preflight for the same request.
    const again = await pageFetch(allowedPage, url, init);
    assert.equal(again.resolved, true, again.error);
    assert.deepEqual(
      decisions(`${ROOT}/t1/photo.json`).map((d) => d.method),
      ['OPTIONS', 'PUT', 'PUT'],
    );
  });

  test('a header no rule allows fails the preflight, and the upload is never sent', TIMEOUT, async () => {
    const r = await pageFetch(allowedPage, `${bucketUrl}/t2/k`, {
      method: 'PUT',
      headers: { 'x-oss-meta-author': 'ann', 'X-Secret': 's' },
      body: 'x',
    });
    assert.equal(r.resolved, false);
    assert.match(r.error, /TypeError/);
    const log = decisions(`${ROOT}/t2/k`);
    assert.equal(log.length, 1, JSON.stringify(log));
    assert.equal(log[0].method, 'OPTIONS');
    assert.equal(log[0].acrh, 'x-oss-meta-author,x-secret');
    assert.equal(log[0].status, 403);
    assert.equal(log[0].error.code, 'AccessForbidden');
    assert.equal((await direct('GET', `${ROOT}/t2/k`)).status, 404);
  });

  test('a method no rule allows (DELETE) fails the preflight, and the object stays', TIMEOUT, async () => {
    assert.equal((await direct('PUT', `${ROOT}/t3/k`, 'keep me')).status, 200);
    const r = await pageFetch(allowedPage, `${bucketUrl}/t3/k`, { method: 'DELETE' });
    assert.equal(r.resolved, false);
    const log = decisions(`${ROOT}/t3/k`);
    assert.equal(log.length, 1, JSON.stringify(log));
    assert.equal(log[0].acrm, 'DELETE');
    assert.equal(log[0].acrh, null);
    assert.equal(log[0].status, 403);
    assert.equal((await direct('GET', `${ROOT}/t3/k`)).body, 'keep me');
  });

  test('XMLHttpRequest uploads from an allowed origin', TIMEOUT, async () => {
    const r = await pageXhr(allowedPage, {
      url: `${bucketUrl}/t4/xhr.txt`,
      method: 'PUT',
      headers: { 'x-oss-meta-kind': 'xhr' },
      body: 'sent by XMLHttpRequest',
    });
    assert.equal(r.loaded, true);
    assert.equal(r.status, 200);
    assert.equal(r.etag, (await direct('HEAD', `${ROOT}/t4/xhr.txt`)).headers.get('etag'));
    const log = decisions(`${ROOT}/t4/xhr.txt`);
    assert.deepEqual(
      log.map((d) => [d.method, d.acrh, d.rule]),
      [
        ['OPTIONS', 'x-oss-meta-kind', 0],
        ['PUT', null, 0],
      ],
    );

    // A simple request (a multipart form POST to the bucket: PostObject) with no custom
    // header, but an upload listener: Chromium preflights it anyway, without ACRH.
    const mark = logMark();
    const p = await pageXhr(allowedPage, {
      url: bucketUrl,
      method: 'POST',
      form: { fields: { key: 't4/progress.txt', success_action_status: '200' }, file: { name: 'p.txt', text: 'x'.repeat(100_000) } },
      watchUpload: true,
    });
    assert.equal(p.loaded, true);
    assert.equal(p.status, 200);
    const plog = decisions(ROOT, mark);
    assert.deepEqual(
      plog.map((d) => [d.method, d.acrm, d.acrh, d.status]),
      [
        ['OPTIONS', 'POST', null, 200],
        ['POST', null, null, null],
      ],
    );
    assert.equal((await direct('GET', `${ROOT}/t4/progress.txt`)).body.length, 100_000);
  });

  test('XMLHttpRequest uploads from an origin no rule allows fail', TIMEOUT, async () => {
    const r = await pageXhr(deniedPage, {
      url: `${bucketUrl}/t5/k`,
      method: 'PUT',
      headers: { 'x-oss-meta-kind': 'xhr' },
      body: 'x',
    });
    assert.deepEqual(r, { loaded: false, status: 0 });
    const log = decisions(`${ROOT}/t5/k`);
    assert.equal(log.length, 1);
    assert.equal(log[0].origin, deniedOrigin);
    assert.equal(log[0].status, 403);
    assert.equal((await direct('GET', `${ROOT}/t5/k`)).status, 404);
  });

  test('credentials: allowed for an echoed origin, refused by the browser with "*"', TIMEOUT, async () => {
    assert.equal((await direct('PUT', `${ROOT}/t6/public.txt`, 'public')).status, 200);
    const url = `${bucketUrl}/t6/public.txt`;

    const withCreds = await pageFetch(allowedPage, url, { credentials: 'include' });
    assert.equal(withCreds.resolved, true, withCreds.error);
    assert.equal(withCreds.body, 'public');

    const anonymous = await pageFetch(deniedPage, url);
    assert.equal(anonymous.resolved, true, anonymous.error);
    assert.equal(anonymous.body, 'public');

    const credsFromOther = await pageFetch(deniedPage, url, { credentials: 'include' });
    assert.equal(credsFromOther.resolved, false, 'Allow-Origin "*" does not admit a credentialed request');
    const xhr = await pageXhr(deniedPage, { url, method: 'GET', withCredentials: true });
    assert.equal(xhr.loaded, false);

    const log = decisions(`${ROOT}/t6/public.txt`);
    assert.deepEqual(
      log.map((d) => [d.method, d.origin, d.rule, header(d, 'Access-Control-Allow-Origin')]),
      [
        ['GET', allowedOrigin, 0, allowedOrigin],
        ['GET', deniedOrigin, 1, '*'],
        ['GET', deniedOrigin, 1, '*'],
        ['GET', deniedOrigin, 1, '*'],
      ],
    );
    assert.equal(header(log[0], 'Access-Control-Allow-Credentials'), 'true');
    assert.equal(header(log[1], 'Access-Control-Allow-Credentials'), null);
  });

  test('form uploads (PostObject): a simple request reaches the server either way', TIMEOUT, async () => {
    const mark = logMark();
    const denied = await pageFormPost(deniedPage, bucketUrl, { key: 't7/${filename}' }, {
      name: 'denied.txt',
      text: 'from a denied origin',
    });
    assert.equal(denied.resolved, false, 'no rule allows POST from this origin: the page cannot read the answer');
    assert.equal((await direct('GET', `${ROOT}/t7/denied.txt`)).body, 'from a denied origin', 'but it was stored');

    const allowed = await pageFormPost(
      allowedPage,
      bucketUrl,
      { key: 't7/${filename}', success_action_status: '201', 'x-oss-meta-source': 'form' },
      { name: 'allowed.txt', text: 'from the upload page' },
    );
    assert.equal(allowed.resolved, true, allowed.error);
    assert.equal(allowed.status, 201);
    assert.match(allowed.body, /<Key>t7\/allowed\.txt<\/Key>/);
    assert.equal(allowed.etag, (await direct('HEAD', `${ROOT}/t7/allowed.txt`)).headers.get('etag'));
    assert.equal((await direct('GET', `${ROOT}/t7/allowed.txt`)).headers.get('x-oss-meta-source'), 'form');

    const log = decisions(ROOT, mark).filter((d) => d.method === 'POST');
    assert.deepEqual(
      log.map((d) => [d.origin, d.rule, d.status]),
      [
        [deniedOrigin, null, null],
        [allowedOrigin, 0, null],
      ],
    );
    assert.equal(decisions(ROOT, mark).filter((d) => d.method === 'OPTIONS').length, 0, 'no preflight for a form');
  });

  test('the configuration is reloaded when the file changes; an invalid file keeps the rules', TIMEOUT, async () => {
    // PUT with a metadata header: allowed by cors.xml, not by cors-reloaded.xml. DELETE of an
    // object: the other way round. Each uses its own key, so no preflight is cached.
    const put = (key) =>
      pageFetch(allowedPage, `${bucketUrl}/t8/${key}`, { method: 'PUT', headers: { 'x-oss-meta-a': '1' }, body: key });
    const del = async (key) => {
      assert.equal((await direct('PUT', `${ROOT}/t8/${key}`, key)).status, 200);
      return pageFetch(allowedPage, `${bucketUrl}/t8/${key}`, { method: 'DELETE' });
    };
    const first = (await serveConfig()).version;
    assert.equal(typeof first, 'number');

    fs.copyFileSync(path.join(here, 'cors-reloaded.xml'), configPath);
    const reloaded = (await waitForConfig((c) => c.version > first, `a version after ${first}`)).version;
    assert.equal((await put('a')).resolved, false, 'PUT is no longer allowed');
    assert.deepEqual(
      decisions(`${ROOT}/t8/a`).map((d) => [d.method, d.status, d.version]),
      [['OPTIONS', 403, reloaded]],
    );
    const b = await del('b');
    assert.equal(b.resolved, true, b.error);
    assert.equal(b.status, 204, 'DELETE is now allowed');
    assert.equal((await direct('GET', `${ROOT}/t8/b`)).status, 404, 'and the object is gone');
    assert.deepEqual(
      decisions(`${ROOT}/t8/b`).map((d) => [d.method, d.status, d.version]),
      [
        ['OPTIONS', 200, reloaded],
        ['DELETE', null, reloaded],
      ],
    );

    fs.writeFileSync(configPath, '<CORSConfiguration><CORSRule>');
    const c = await waitForConfig((c) => c.last_error !== null, 'a reload error');
    assert.equal(c.version, reloaded);
    assert.equal(c.last_error.code, 'MalformedXML');
    assert.match(serveErr, new RegExp(`bucket ${BUCKET}: .*400 MalformedXML.*; keeping version ${reloaded}\\b`));
    assert.equal((await put('c')).resolved, false);
    assert.equal((await del('d')).resolved, true);
    assert.equal((await direct('GET', `${ROOT}/t8/d`)).status, 404);

    fs.copyFileSync(path.join(here, 'cors.xml'), configPath);
    const restored = await waitForConfig((c) => c.version > reloaded, `a version after ${reloaded}`);
    assert.equal(restored.last_error, null, 'a valid file clears the last reload error');
    const e = await put('e');
    assert.equal(e.resolved, true, e.error);
    assert.equal(decisions(`${ROOT}/t8/e`)[0].acrh, 'x-oss-meta-a');
    assert.equal((await del('f')).resolved, false, 'DELETE is refused again');
    assert.equal((await direct('GET', `${ROOT}/t8/f`)).body, 'f');
  });

  test('Ctrl-C stops the server cleanly', TIMEOUT, async () => {
    const exited = new Promise((resolve) => serve.once('exit', (code, signal) => resolve({ code, signal })));
    serve.kill('SIGINT');
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.match(serveOut, /corsmatch serve: stopped/);
  });
});
