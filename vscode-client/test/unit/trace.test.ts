import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, Trace } from 'vscode-jsonrpc/node';
import { redactApiKeys, redactingChannel, REDACTED } from '../../src/shared/trace';

const KEY = 'sk-test-TraceKey-Q7xV2mZ9pL4wK8rT';

/** What the language client's LogOutputChannel needs, recording what is written. */
function recordingChannel() {
  const written: string[] = [];
  let disposed = false;
  const channel = {
    name: 'BYOK',
    logLevel: 1,
    onDidChangeLogLevel: (listener: (level: number) => void) => ({ dispose: () => void listener }),
    trace: (m: string) => void written.push(m),
    debug: (m: string) => void written.push(m),
    info: (m: string) => void written.push(m),
    warn: (m: string) => void written.push(m),
    error: (m: string | Error) => void written.push(String(m)),
    append: (m: string) => void written.push(m),
    appendLine: (m: string) => void written.push(m),
    replace: (m: string) => void written.push(m),
    dispose: () => void (disposed = true),
  };
  return { channel, written, isDisposed: () => disposed };
}

describe('trace redaction', () => {
  it('removes the apiKey of a verbose request trace, as vscode-jsonrpc writes it', async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    const server = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    server.onRequest('byok/providers/add', () => ({ provider: { id: 'openai', key: { present: true, hint: 'sk-…8rT' } } }));
    server.onRequest('workspace/executeCommand', () => ({ provider: { id: 'work' } }));
    server.listen();
    client.listen();
    const { channel, written } = recordingChannel();
    const trace = redactingChannel(channel);
    // The language client logs each trace line as "<message>\n<data>" to its trace channel.
    await client.trace(Trace.Verbose, { log: (m: unknown, data?: string) => trace.trace(data ? `${String(m)}\n${data}` : String(m)) });
    await client.sendRequest('byok/providers/add', { template: 'openai', apiKey: KEY, name: 'Work "quoted" \\ name' });
    await client.sendRequest('workspace/executeCommand', { command: 'byok.providers.update', arguments: [{ id: 'work', apiKey: `${KEY}"\\x` }] });
    client.dispose();
    server.dispose();
    const all = written.join('\n');
    assert.match(all, /Sending request 'byok\/providers\/add/);
    assert.match(all, /"template": "openai"/);
    assert.ok(all.includes(`"apiKey": "${REDACTED}"`), all);
    assert.ok(!all.includes(KEY.slice(8)), all);
  });

  it('redacts compact JSON and escaped quotes, and leaves other text alone', () => {
    const compact = JSON.stringify({ apiKey: `a"b\\c${KEY}`, apiKeyEnv: 'OPENAI_API_KEY' });
    assert.equal(redactApiKeys(compact), `{"apiKey":"${REDACTED}","apiKeyEnv":"OPENAI_API_KEY"}`);
    assert.equal(redactApiKeys('no keys here: "apiKeyEnv": "X"'), 'no keys here: "apiKeyEnv": "X"');
  });

  it('passes the log level, events and other calls through to the channel', () => {
    const { channel, written, isDisposed } = recordingChannel();
    const trace = redactingChannel(channel);
    assert.equal(trace.logLevel, 1);
    assert.equal(trace.name, 'BYOK');
    trace.appendLine(`{"apiKey": "${KEY}"}`);
    trace.info('plain text');
    trace.dispose();
    assert.deepEqual(written, [`{"apiKey": "${REDACTED}"}`, 'plain text']);
    assert.ok(isDisposed());
  });
});
