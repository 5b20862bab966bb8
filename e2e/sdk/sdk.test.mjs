// The browser SDKs for real: the AWS SDK for JavaScript v3 (client-s3, lib-storage,
// s3-request-presigner, s3-presigned-post) against `corsmatch serve --profile s3`, and ali-oss
// against `--profile oss`, both with --credentials (every signature verified), from a page at
// http://app.example.test:PORT in headless Chromium. With the configuration each SDK's
// documentation asks for, every operation succeeds and the bytes round-trip.
//
// Run by e2e/run-tests.sh; alone: CORSMATCH_BIN=target/release/corsmatch node --test e2e/sdk/sdk.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as h from './harness.mjs';

const TIMEOUT = { timeout: 120_000 };

let tmp;
let page;
let browser;
let origins;
const serves = {};

before(async () => {
  tmp = h.tempDir('corsmatch-sdk-test-');
  page = await h.startPageServer();
  origins = h.pageOrigins(page.port);
  browser = await h.launchBrowser(page.port);
  for (const [sdk, spec] of Object.entries(h.SDKS)) {
    serves[sdk] = await h.startServe({ profile: spec.profile, bucket: 'sdk-test', tmp });
  }
});

after(async () => {
  await browser?.close().catch(() => {});
  await page?.close();
  for (const s of Object.values(serves)) s.kill();
});

/** The configuration each SDK's documentation gives, on the page's origin. */
const DOCUMENTED = {
  // lib-storage names each part's checksum in CompleteMultipartUpload only when it can read it.
  'aws-js-v3': ['ETag', 'x-amz-checksum-crc32'],
  // ali-oss's README: AllowedHeader *, ExposeHeader ETag.
  'ali-oss': ['ETag'],
};

function summary(results) {
  return results.map((r) => `${r.op}: ${r.ok ? 'ok' : r.error}`).join('\n');
}

for (const sdk of Object.keys(h.SDKS)) {
  describe(sdk, () => {
    test(`every operation succeeds from ${'http://app.example.test:PORT'} and the bytes round-trip`, TIMEOUT, async () => {
      const serve = serves[sdk];
      await serve.putCors(h.goodConfig(origins.withPort, DOCUMENTED[sdk]));
      const results = await h.runOperations({ browser, serve, pageOrigin: origins.withPort, sdk, ops: h.OPERATIONS });
      assert.deepEqual(
        results.map((r) => [r.op, r.ok]),
        h.OPERATIONS.map((op) => [op, true]),
        summary(results),
      );
      // Every request the page made reached serve from its origin, port included, and every
      // preflight was answered 200.
      for (const r of results) {
        assert.ok(r.records.length > 0, `${r.op}: serve recorded no request from ${origins.withPort}`);
        for (const rec of r.records.filter((x) => x.preflight)) assert.equal(rec.status, 200, `${r.op}: ${JSON.stringify(rec)}`);
      }
    });
  });
}

describe('origins and the 2025 checksum change', () => {
  test('a page at the default port sends an Origin without one', TIMEOUT, async () => {
    const serve = serves['ali-oss'];
    await serve.putCors(h.goodConfig(origins.defaultPort, DOCUMENTED['ali-oss']));
    const [put] = await h.runOperations({ browser, serve, pageOrigin: origins.defaultPort, sdk: 'ali-oss', ops: ['PutObject'] });
    assert.ok(put.ok, put.error);
    assert.deepEqual([...new Set(put.records.map((r) => r.origin))], ['http://app.example.test']);
  });

  test('lib-storage fails when only ETag is exposed: S3 wants every part checksum named', TIMEOUT, async () => {
    const serve = serves['aws-js-v3'];
    await serve.putCors(h.goodConfig(origins.withPort, ['ETag']));
    const results = await h.runOperations({
      browser,
      serve,
      pageOrigin: origins.withPort,
      sdk: 'aws-js-v3',
      ops: ['MultipartUpload', 'PutObject'],
    });
    const [multipart, put] = results;
    assert.equal(multipart.ok, false);
    assert.match(multipart.error, /The upload was created using a crc32 checksum\. The complete request must include the checksum for each part/);
    assert.ok(put.ok, put.error);
  });
});
