// ali-oss in the page, as a web app uses it: its browser build (the package's `browser`
// field maps it to dist/aliyun-oss-sdk.js), default signing (OSS v1 headers), and its default
// virtual-hosted addressing: http://BUCKET.localhost:PORT/KEY, which corsmatch serve answers.
// PostObject uses the browser build's V4 post-policy signer (calculatePostSignature is in the
// Node build only), filling the form as ali-oss's README does.

import OSS from 'ali-oss';

import { bytes, file, run, sameBytes } from './common.js';

const REGION = 'oss-cn-hangzhou';

function client(a) {
  return new OSS({
    region: REGION,
    endpoint: a.endpoint,
    accessKeyId: a.accessKey,
    accessKeySecret: a.secretKey,
    bucket: a.bucket,
    secure: false,
    timeout: 30_000,
  });
}

/** OSS V4 dates: 20250102T030405Z. */
function v4Date(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

const ops = {
  async PutObject(a) {
    await client(a).put(a.key, file(a.size, a.seed));
  },

  async GetObject(a) {
    const r = await client(a).get(a.key);
    sameBytes(r.content, bytes(a.size, a.seed), 'GetObject');
  },

  async HeadObject(a) {
    const r = await client(a).head(a.key);
    const length = Number(r.res.headers['content-length']);
    if (length !== a.size) throw new Error(`HeadObject: content-length ${length}, expected ${a.size}`);
  },

  async DeleteObject(a) {
    await client(a).delete(a.key);
  },

  async MultipartUpload(a) {
    await client(a).multipartUpload(a.key, file(a.size, a.seed), { partSize: a.partSize });
  },

  async PresignedGet(a) {
    const url = client(a).signatureUrl(a.key, { expires: 600 });
    const r = await fetch(url);
    if (!r.ok) throw new Error(`PresignedGet: HTTP ${r.status}`);
    sameBytes(await r.arrayBuffer(), bytes(a.size, a.seed), 'PresignedGet');
  },

  async PresignedPut(a) {
    const type = 'application/octet-stream';
    const url = client(a).signatureUrl(a.key, { method: 'PUT', expires: 600, 'Content-Type': type });
    const r = await fetch(url, { method: 'PUT', body: file(a.size, a.seed), headers: { 'content-type': type } });
    if (!r.ok) throw new Error(`PresignedPut: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
  },

  async PostObject(a) {
    const c = client(a);
    const now = new Date();
    const date = v4Date(now);
    const credential = `${a.accessKey}/${date.slice(0, 8)}/${REGION.replace(/^oss-/, '')}/oss/aliyun_v4_request`;
    const policy = {
      expiration: new Date(now.getTime() + 600_000).toISOString(),
      conditions: [
        { bucket: a.bucket },
        { 'x-oss-credential': credential },
        { 'x-oss-date': date },
        { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
        ['content-length-range', 0, 64 << 20],
        ['eq', '$key', a.key],
      ],
    };
    const form = new FormData();
    form.append('key', a.key);
    form.append('x-oss-date', date);
    form.append('x-oss-credential', credential);
    form.append('x-oss-signature-version', 'OSS4-HMAC-SHA256');
    form.append('policy', btoa(JSON.stringify(policy)));
    form.append('x-oss-signature', c.signPostObjectPolicyV4(policy, now));
    form.append('file', file(a.size, a.seed));
    const url = c.generateObjectUrl(a.key).replace(new RegExp(`${a.key}$`), '');
    const r = await fetch(url, { method: 'POST', body: form });
    if (!r.ok) throw new Error(`PostObject: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
  },
};

window.corsmatchSdk = { name: 'ali-oss', run: (name, args) => run(ops, name, args) };
