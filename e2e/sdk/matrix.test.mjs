// The browser agrees with the doctor. For each classic mistake (e2e/sdk/mistakes/SDK/*.xml,
// with {{ORIGIN}} and {{HOST}} standing for the page's origin and host name):
//  1. `corsmatch doctor --config FILE --profile P --origin ORIGIN --sdk SDK --json` says which
//     operations fail;
//  2. the configuration is installed in `corsmatch serve` (a signed PutBucketCors) and every
//     operation runs in Chromium, in a new browser context: exactly the operations the doctor
//     says fail do fail, and at least one does (the mistake is real);
//  3. the doctor's `fixed_config` is installed: the doctor now finds nothing, and every
//     operation succeeds in the browser.
// The page is at http://app.example.test (the default port, which Chromium maps to the page
// server's run-time port), so that a default port written in AllowedOrigin is the mistake it
// is in production.
//
// Run by e2e/run-tests.sh; alone: CORSMATCH_BIN=target/release/corsmatch node --test e2e/sdk/matrix.test.mjs

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as h from './harness.mjs';

const TIMEOUT = { timeout: 120_000 };

let tmp;
let page;
let browser;
let origin;
const serves = {};

before(async () => {
  tmp = h.tempDir('corsmatch-sdk-matrix-');
  page = await h.startPageServer();
  origin = h.pageOrigins(page.port).defaultPort;
  browser = await h.launchBrowser(page.port);
  for (const [sdk, spec] of Object.entries(h.SDKS)) {
    serves[sdk] = await h.startServe({ profile: spec.profile, bucket: 'sdk-matrix', tmp });
  }
});

after(async () => {
  await browser?.close().catch(() => {});
  await page?.close();
  for (const s of Object.values(serves)) s.kill();
});

/** `corsmatch doctor ... --json` on `xml`: { code, report }. */
function doctor(sdk, xml, name) {
  const file = path.join(tmp, `${sdk}-${name}.xml`);
  fs.writeFileSync(file, xml);
  const args = ['doctor', '--config', file, '--profile', h.SDKS[sdk].profile, '--origin', origin, '--sdk', sdk, '--json'];
  return new Promise((resolve, reject) => {
    execFile(h.BIN, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      if (typeof code !== 'number' || code > 1) {
        reject(new Error(`corsmatch ${args.join(' ')}: exit ${code}: ${stderr}`));
        return;
      }
      try {
        resolve({ code, report: JSON.parse(stdout) });
      } catch (e) {
        reject(new Error(`corsmatch doctor printed no JSON (${e.message}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/**
 * Runs every operation; an operation whose outcome is not `expected` runs once more in a new
 * context, so that one slow moment of a loaded machine does not read as a disagreement.
 */
async function runAll(serve, sdk, expected) {
  const results = await h.runOperations({ browser, serve, pageOrigin: origin, sdk, ops: h.OPERATIONS });
  const odd = results.filter((r) => r.ok !== expected(r.op)).map((r) => r.op);
  if (!odd.length) return results;
  const again = await h.runOperations({ browser, serve, pageOrigin: origin, sdk, ops: odd });
  return results.map((r) => again.find((a) => a.op === r.op) ?? r);
}

function verdicts(report) {
  return report.operations.map((o) => [o.operation, o.ok]);
}

function explain(report, results) {
  return h.OPERATIONS.map((op) => {
    const d = report.operations.find((o) => o.operation === op);
    const b = results.find((r) => r.op === op);
    const problems = (d?.problems ?? []).map((p) => `      doctor: ${p.kind}: ${p.message}`).join('\n');
    return `  ${op}: doctor ${d?.ok ? 'ok' : 'fails'}, browser ${b?.ok ? 'ok' : `fails (${b?.error})`}${problems ? `\n${problems}` : ''}`;
  }).join('\n');
}

// The two SDKs' cases run side by side (each against its own serve, in its own browser
// contexts): the machine has two cores, and most of a case is waiting.
describe('the browser agrees with the doctor', { concurrency: 2 }, () => {
for (const sdk of Object.keys(h.SDKS)) {
  const dir = path.join(h.here, 'mistakes', sdk);
  const mistakes = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .sort();
  describe(sdk, { concurrency: 1 }, () => {
    for (const file of mistakes) {
      const name = file.replace(/\.xml$/, '');
      test(name, TIMEOUT, async (t) => {
        const serve = serves[sdk];
        const xml = fs
          .readFileSync(path.join(dir, file), 'utf8')
          .replaceAll('{{ORIGIN}}', origin)
          .replaceAll('{{HOST}}', h.PAGE_HOST);

        const broken = await doctor(sdk, xml, name);
        assert.deepEqual(broken.report.operations.map((o) => o.operation), h.OPERATIONS, 'the doctor checks every operation, in order');
        await serve.putCors(xml);
        const says = Object.fromEntries(broken.report.operations.map((o) => [o.operation, o.ok]));
        const results = await runAll(serve, sdk, (op) => says[op]);
        const browserSays = results.map((r) => [r.op, r.ok]);
        assert.deepEqual(browserSays, verdicts(broken.report), `${name}: the doctor and Chromium disagree\n${explain(broken.report, results)}`);
        assert.ok(results.some((r) => !r.ok), `${name}: every operation worked in Chromium: not a mistake\n${explain(broken.report, results)}`);
        assert.equal(broken.code, 1, 'the doctor exits 1 when an operation fails');
        t.diagnostic(`fails in Chromium and by the doctor: ${results.filter((r) => !r.ok).map((r) => r.op).join(', ')}`);

        const fixedXml = broken.report.fixed_config;
        assert.equal(typeof fixedXml, 'string', 'the doctor gives a fixed configuration');
        const fixed = await doctor(sdk, fixedXml, `${name}-fixed`);
        assert.equal(fixed.code, 0, `the doctor finds problems in its own fix:\n${fixedXml}\n${explain(fixed.report, [])}`);
        await serve.putCors(fixedXml);
        const after = await runAll(serve, sdk, () => true);
        assert.deepEqual(
          after.map((r) => [r.op, r.ok]),
          h.OPERATIONS.map((op) => [op, true]),
          `${name}: the doctor's fix does not make every operation work in Chromium:\n${fixedXml}\n${explain(fixed.report, after)}`,
        );
      });
    }
  });
}
});
