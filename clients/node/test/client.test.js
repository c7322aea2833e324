'use strict';
// The Node client against a live orchestrator serving the demo (ClientsEndToEndTest starts one
// and sets JUNCTION_ADDRESS).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { JunctionClient, JunctionError, status } = require('../src');

const TEXT = 'I want to book a flight to Paris';
const address = process.env.JUNCTION_ADDRESS;
let client;

before(() => {
  assert.ok(address, 'JUNCTION_ADDRESS is not set (expected: host:port of an orchestrator serving the demo)');
  client = new JunctionClient(address, { timeoutMs: 30000 });
});

after(() => client.close());

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('the call succeeded (expected: an error)');
}

test('converse classifies and replies', async () => {
  const r = await client.converse({ text: TEXT });
  assert.equal(r.intent, 'book_flight');
  assert.ok(r.confidence > 0 && r.confidence <= 1);
  assert.ok(r.tokens.length >= 3);
  assert.equal(r.reply, r.tokens.join(' '));
});

test('converseStream yields the intent, then each token, then the whole reply', async () => {
  const events = [];
  for await (const e of client.converseStream({ text: TEXT })) events.push(e);
  assert.equal(events[0].event, 'intent');
  assert.equal(events.at(-1).event, 'done');
  const tokens = events.slice(1, -1).map((e) => {
    assert.equal(e.event, 'token');
    return e.token;
  });
  const done = events.at(-1).done;
  assert.deepEqual(tokens, done.tokens);
  assert.equal(events[0].intent.intent, done.intent);
  assert.deepEqual(tokens, (await client.converse({ text: TEXT })).tokens); // greedy: the same reply
});

test('recommend returns k distinct items, highest score first', async () => {
  const items = await client.recommend({ userId: 42, k: 5 });
  assert.equal(items.length, 5);
  assert.equal(new Set(items.map((i) => i.itemId)).size, 5);
  const scores = items.map((i) => i.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
});

test('runPipeline recommend ranks as recommend does', async () => {
  const out = await client.runPipeline('recommend', [{ name: 'user_id', datatype: 'INT64', shape: [1], data: [42] }]);
  assert.deepEqual(Object.keys(out).sort(), ['items', 'scores']);
  assert.ok(out.items.data instanceof BigInt64Array && out.scores.data instanceof Float32Array);
  assert.equal(out.items.data.length, out.scores.data.length);
  const expected = (await client.recommend({ userId: 42, k: 5 })).map((i) => BigInt(i.itemId));
  assert.deepEqual([...out.items.data].filter((x) => x >= 0n).slice(0, 5), expected);
});

test('modelInfer runs a model and a pipeline', async () => {
  const out = await client.modelInfer('user_tower', [{ name: 'user_id', datatype: 'INT64', shape: [2], data: [42, 7] }]);
  assert.deepEqual(out.embedding.shape, [2, 32]);
  assert.ok(out.embedding.data instanceof Float32Array && out.embedding.data.length === 64);
  assert.ok(out.embedding.data.some((v) => v !== 0));
  const chat = await client.modelInfer('chat', [{ name: 'text', datatype: 'BYTES', data: [TEXT] }], { outputs: ['intent'] });
  assert.deepEqual(Object.keys(chat), ['intent']);
  assert.equal(chat.intent.data[0].toString('utf8'), 'book_flight');
});

test('an invalid argument rejects with INVALID_ARGUMENT naming the field', async () => {
  const err = await rejection(client.recommend({ userId: -1 }));
  assert.ok(err instanceof JunctionError);
  assert.equal(err.code, status.INVALID_ARGUMENT);
  assert.equal(err.codeName, 'INVALID_ARGUMENT');
  assert.match(err.details, /^user_id: -1 \(expected: /);
});

test('an unknown pipeline rejects with NOT_FOUND', async () => {
  const err = await rejection(client.runPipeline('no_such_pipeline', [{ name: 'user_id', datatype: 'INT64', data: [1] }]));
  assert.equal(err.code, status.NOT_FOUND);
  assert.match(err.details, /no_such_pipeline/);
});

test('a tiny deadline rejects with DEADLINE_EXCEEDED', async () => {
  const err = await rejection(client.converse({ text: TEXT }, { timeoutMs: 0 }));
  assert.equal(err.code, status.DEADLINE_EXCEEDED);
  const streamErr = await rejection((async () => {
    for await (const e of client.converseStream({ text: TEXT }, { timeoutMs: 0 })) void e;
  })());
  assert.equal(streamErr.code, status.DEADLINE_EXCEEDED);
});
