// The AWS SDK for JavaScript v3 in the page, as a web app uses it: the client with its
// defaults (checksums, retries, user agent), path-style addressing to the local endpoint.
// Each operation throws when the SDK throws or the bytes do not round-trip. Bundled by
// harness.mjs with esbuild.

import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { bytes, file, run, sameBytes } from './common.js';

function client(a) {
  return new S3Client({
    endpoint: a.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: a.accessKey, secretAccessKey: a.secretKey },
  });
}

const ops = {
  async PutObject(a) {
    await client(a).send(
      // A File body would count as a stream, and the default checksum would then fail in the
      // browser ("readableStream.getReader is not a function"): the bytes, as apps send them.
      new PutObjectCommand({ Bucket: a.bucket, Key: a.key, Body: bytes(a.size, a.seed), ContentType: 'application/octet-stream' }),
    );
  },

  async GetObject(a) {
    const r = await client(a).send(new GetObjectCommand({ Bucket: a.bucket, Key: a.key }));
    sameBytes(await r.Body.transformToByteArray(), bytes(a.size, a.seed), 'GetObject');
  },

  async HeadObject(a) {
    const r = await client(a).send(new HeadObjectCommand({ Bucket: a.bucket, Key: a.key }));
    if (r.ContentLength !== a.size) throw new Error(`HeadObject: ContentLength ${r.ContentLength}, expected ${a.size}`);
  },

  async DeleteObject(a) {
    await client(a).send(new DeleteObjectCommand({ Bucket: a.bucket, Key: a.key }));
  },

  async MultipartUpload(a) {
    const upload = new Upload({
      client: client(a),
      params: { Bucket: a.bucket, Key: a.key, Body: file(a.size, a.seed), ContentType: 'application/octet-stream' },
      partSize: a.partSize,
      leavePartsOnError: false,
    });
    await upload.done();
  },

  async PresignedGet(a) {
    const url = await getSignedUrl(client(a), new GetObjectCommand({ Bucket: a.bucket, Key: a.key }), { expiresIn: 600 });
    const r = await fetch(url);
    if (!r.ok) throw new Error(`PresignedGet: HTTP ${r.status}`);
    sameBytes(await r.arrayBuffer(), bytes(a.size, a.seed), 'PresignedGet');
  },

  async PresignedPut(a) {
    const command = new PutObjectCommand({ Bucket: a.bucket, Key: a.key, ContentType: 'application/octet-stream' });
    const url = await getSignedUrl(client(a), command, { expiresIn: 600 });
    const r = await fetch(url, {
      method: 'PUT',
      body: file(a.size, a.seed),
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (!r.ok) throw new Error(`PresignedPut: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
  },

  async PostObject(a) {
    const { url, fields } = await createPresignedPost(client(a), {
      Bucket: a.bucket,
      Key: a.key,
      Conditions: [['content-length-range', 0, 64 << 20]],
      Expires: 600,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', file(a.size, a.seed));
    const r = await fetch(url, { method: 'POST', body: form });
    if (!r.ok) throw new Error(`PostObject: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
  },
};

window.corsmatchSdk = { name: 'aws-js-v3', run: (name, args) => run(ops, name, args) };
