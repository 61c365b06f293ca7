// The previews' CloudFront Function (PreviewRouterFunction in infra/template.yaml, viewer request,
// cloudfront-js-2.0), run in Node. One source: the code is read from the template's FunctionCode block, the
// text CloudFormation publishes. Run by infra/tests/run.sh:
//
//   node --test infra/tests/preview_function.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const template = fs.readFileSync(path.join(root, 'infra', 'template.yaml'), 'utf8');

/**
 * The literal block scalar `FunctionCode: |` of one resource of the template: the lines after it that are
 * indented deeper than the key (blank lines kept), with that block's indentation removed. A small reading of
 * YAML that is enough for this block; it fails loudly when the resource or its code is not where it expects.
 */
function functionCode(resource) {
  const lines = template.split('\n');
  const start = lines.indexOf(`  ${resource}:`);
  assert.notEqual(start, -1, `no resource ${resource} in infra/template.yaml`);
  let i = start + 1;
  // Stay inside the resource (its lines are indented deeper than two spaces, or blank, or comments).
  while (i < lines.length && !/^\s+FunctionCode: \|\s*$/.test(lines[i])) {
    if (/^ {0,2}\S/.test(lines[i])) assert.fail(`${resource} has no "FunctionCode: |" block`);
    i += 1;
  }
  assert.ok(i < lines.length, `${resource} has no "FunctionCode: |" block`);
  const keyIndent = lines[i].search(/\S/);
  const body = [];
  for (i += 1; i < lines.length; i += 1) {
    const line = lines[i];
    if (line.trim() !== '' && line.search(/\S/) <= keyIndent) break;
    body.push(line);
  }
  while (body.length && body[body.length - 1].trim() === '') body.pop();
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.search(/\S/)));
  return body.map((l) => l.slice(indent)).join('\n') + '\n';
}

const code = functionCode('PreviewRouterFunction');
// A fresh context, as CloudFront gives each function: no require, no process, only the language.
const inContext = vm.runInNewContext(`${code}\nhandler;`, {}, { filename: 'PreviewRouterFunction.js' });
// Its answers as plain data (objects made in another context have another Object prototype, which strict
// deep equality would count as a difference); CloudFront reads them as JSON-like data too.
const handler = (event) => JSON.parse(JSON.stringify(inContext(event)));

function request(host, uri) {
  const headers = host === undefined ? {} : { host: { value: host } };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: { method: 'GET', uri, querystring: {}, headers, cookies: {} },
  };
}

const HOST = 'pr-12.voorbeeld.landelijkoppproject.nl';

function routed(host, uri) {
  const out = handler(request(host, uri));
  assert.equal(out.statusCode, undefined, `${host}${uri} was answered, not passed on: ${JSON.stringify(out)}`);
  return out.uri;
}

function assertNotFound(host, uri = '/') {
  const out = handler(request(host, uri));
  assert.equal(out.statusCode, 404, `${host}${uri} should be 404, got ${JSON.stringify(out)}`);
  assert.equal(out.statusDescription, 'Not Found');
  assert.equal(out.uri, undefined, 'a refused request reads nothing');
  assert.deepEqual(out.headers['cache-control'], { value: 'no-store' });
}

test('the template holds the function in the runtime the test assumes', () => {
  const resource = template.slice(template.indexOf('  PreviewRouterFunction:'));
  const own = resource.slice(0, resource.indexOf('\n  Preview', 10));
  assert.match(own, /Runtime: cloudfront-js-2\.0/);
  assert.match(own, /AutoPublish: true/);
  assert.equal(typeof inContext, 'function');
});

test('the root of a preview is its index.html under the prefix', () => {
  assert.equal(routed(HOST, '/'), '/pr-12/index.html');
});

test('a directory URL gets index.html under the prefix', () => {
  assert.equal(routed(HOST, '/bijeenkomsten/'), '/pr-12/bijeenkomsten/index.html');
  assert.equal(routed(HOST, '/bijeenkomsten/zwolle/'), '/pr-12/bijeenkomsten/zwolle/index.html');
});

test('a URL without a dot in its last segment is a directory', () => {
  assert.equal(routed(HOST, '/over'), '/pr-12/over/index.html');
  assert.equal(routed(HOST, '/bijeenkomsten/zwolle'), '/pr-12/bijeenkomsten/zwolle/index.html');
  assert.equal(routed(HOST, '/v1.2/page'), '/pr-12/v1.2/page/index.html');
});

test('files stay as they are, under the prefix', () => {
  assert.equal(routed(HOST, '/css/site.abc.css'), '/pr-12/css/site.abc.css');
  assert.equal(routed(HOST, '/404.html'), '/pr-12/404.html');
  assert.equal(routed(HOST, '/robots.txt'), '/pr-12/robots.txt');
  assert.equal(routed(HOST, '/.well-known/security.txt'), '/pr-12/.well-known/security.txt');
  assert.equal(routed(HOST, '/bijeenkomsten/zwolle/zwolle.ics'), '/pr-12/bijeenkomsten/zwolle/zwolle.ics');
});

test('the number comes from the host, whatever the domain and the case', () => {
  assert.equal(routed('pr-7.voorbeeld.opp.example.nl', '/'), '/pr-7/index.html');
  assert.equal(routed('pr-1234.voorbeeld.opp.example.nl', '/over'), '/pr-1234/over/index.html');
  assert.equal(routed('PR-12.Voorbeeld.LandelijkOppProject.nl', '/'), '/pr-12/index.html');
});

test('the query string and the other headers are left alone', () => {
  const event = request(HOST, '/over');
  event.request.querystring = { a: { value: '1' } };
  const out = handler(event);
  assert.deepEqual(out.querystring, { a: { value: '1' } });
  assert.deepEqual(out.headers, { host: { value: HOST } });
});

test('another host answers 404', () => {
  assertNotFound('voorbeeld.landelijkoppproject.nl');
  assertNotFound('www.voorbeeld.landelijkoppproject.nl');
  assertNotFound('d111111abcdef8.cloudfront.net');
  assertNotFound('landelijkoppproject.nl', '/bijeenkomsten/');
  assertNotFound(undefined);
  assertNotFound('');
});

test('a host that is not pr-<digits>. answers 404', () => {
  assertNotFound('pr-12x.voorbeeld.landelijkoppproject.nl');
  assertNotFound('pr-.voorbeeld.landelijkoppproject.nl');
  assertNotFound('pr-12');
  assertNotFound('pr12.voorbeeld.landelijkoppproject.nl');
  assertNotFound('pr-1a.voorbeeld.landelijkoppproject.nl');
  assertNotFound('xpr-12.voorbeeld.landelijkoppproject.nl');
  assertNotFound('pr--12.voorbeeld.landelijkoppproject.nl');
});
