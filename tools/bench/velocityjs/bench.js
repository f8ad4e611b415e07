#!/usr/bin/env node
// Times velocityjs rendering ../envelope.vm with the request in ../request.json.
//
//   node bench.js [ITERATIONS] [--warmup SECONDS] [--compare JAVA_OUTPUT_FILE] [--print]
//
// Parses the template once (velocityjs `parse` + `new Compile(asts)`), renders for
// SECONDS (default 3) to warm up, then times ITERATIONS renders (default 100000),
// each with a new context object holding $input, $util and $context (the same
// objects as tools/velocity-java/VelocityBench.java builds). Prints one JSON line:
//   {"engine":"velocityjs","iterations":N,"ns_per_render":X,"output_bytes":B}
// Checks that the output is valid JSON; with --compare, also that it equals the
// Java output (e.g. VelocityBench's stderr) as JSON and modulo whitespace outside
// strings. --print writes the rendered output once to stderr.
'use strict';

const fs = require('fs');
const path = require('path');
const { parse, Compile } = require('velocityjs');

function usage(msg) {
  if (msg) console.error('bench.js: ' + msg);
  console.error('usage: node bench.js [ITERATIONS] [--warmup SECONDS] [--compare FILE] [--print]');
  process.exit(2);
}

let iterations = 100000;
let warmupSeconds = 3;
let compareFile = null;
let print = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--warmup') warmupSeconds = Number(argv[++i]);
  else if (a === '--compare') compareFile = argv[++i];
  else if (a === '--print') print = true;
  else if (/^\d+$/.test(a)) iterations = Number(a);
  else usage('unknown argument ' + a);
}
if (!(warmupSeconds >= 0) || !(iterations > 0)) usage('bad number');

const benchDir = path.resolve(__dirname, '..');
const templateText = fs.readFileSync(path.join(benchDir, 'envelope.vm'), 'utf8');
const request = JSON.parse(fs.readFileSync(path.join(benchDir, 'request.json'), 'utf8'));

// commons-lang 2.6 StringEscapeUtils.escapeJavaScript (escapeJavaStyleString with
// escapeSingleQuote = true, escapeForwardSlash = true), per UTF-16 code unit.
function escapeJavaScript(str) {
  if (str === null || str === undefined) return null;
  str = String(str);
  let out = '';
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    const hex = ch.toString(16).toUpperCase();
    if (ch > 0xfff) out += '\\u' + hex;
    else if (ch > 0xff) out += '\\u0' + hex;
    else if (ch > 0x7f) out += '\\u00' + hex;
    else if (ch < 32) {
      switch (ch) {
        case 0x08: out += '\\b'; break;
        case 0x0a: out += '\\n'; break;
        case 0x09: out += '\\t'; break;
        case 0x0c: out += '\\f'; break;
        case 0x0d: out += '\\r'; break;
        default: out += (ch > 0xf ? '\\u00' : '\\u000') + hex;
      }
    } else {
      switch (ch) {
        case 0x27: out += "\\'"; break;
        case 0x22: out += '\\"'; break;
        case 0x5c: out += '\\\\'; break;
        case 0x2f: out += '\\/'; break;
        default: out += str[i];
      }
    }
  }
  return out;
}

// $input: json('$') returns the body text; params() the three maps; params(name)
// looks in path, then querystring, then header.
const params = request.params;
const input = {
  body: request.body,
  json(p) {
    if (p === '$') return request.body;
    throw new Error("bench $input.json only supports '$', got " + p);
  },
  params(name) {
    if (name === undefined) return params;
    for (const kind of ['path', 'querystring', 'header']) {
      if (params[kind] && Object.prototype.hasOwnProperty.call(params[kind], name)) return params[kind][name];
    }
    return null;
  },
};
const util = { escapeJavaScript };
const context = request.context;

const template = new Compile(parse(templateText));
const renderOnce = () => template.render({ input, util, context });

const first = renderOnce();
const outputBytes = Buffer.byteLength(first, 'utf8');
let parsed;
try {
  parsed = JSON.parse(first);
} catch (e) {
  console.error(first);
  console.error('bench.js: velocityjs output is not valid JSON: ' + e.message);
  process.exit(1);
}

// Strips whitespace outside JSON string literals.
function squeeze(s) {
  let out = '';
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      out += c;
      if (c === '\\') out += s[++i];
      else if (c === '"') inStr = false;
    } else if (c === '"') {
      inStr = true;
      out += c;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

if (compareFile) {
  const java = fs.readFileSync(compareFile, 'utf8');
  const sameJson = JSON.stringify(JSON.parse(java)) === JSON.stringify(parsed);
  const sameSqueezed = squeeze(java) === squeeze(first);
  const sameExact = java === first;
  console.error(`bench.js: compared with ${compareFile}: same JSON value: ${sameJson}, ` +
    `same modulo whitespace: ${sameSqueezed}, byte-identical: ${sameExact}`);
  if (!sameJson || !sameSqueezed) {
    console.error(first);
    process.exit(1);
  }
}
if (print) process.stderr.write(first);

let sink = 0;
const warmEnd = process.hrtime.bigint() + BigInt(Math.round(warmupSeconds * 1e9));
while (process.hrtime.bigint() < warmEnd) {
  for (let i = 0; i < 100; i++) sink += renderOnce().length;
}

const t0 = process.hrtime.bigint();
for (let i = 0; i < iterations; i++) sink += renderOnce().length;
const elapsed = Number(process.hrtime.bigint() - t0);
if (sink === 42) console.error('');

console.log(JSON.stringify({
  engine: 'velocityjs',
  iterations,
  ns_per_render: Math.round((elapsed / iterations) * 10) / 10,
  output_bytes: outputBytes,
}));
