import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentAvailability, describeArguments, isLongResult, proposedText, toLspDiagnostic } from '../../src/shared/agent';

describe('agent mode', () => {
  it('is offered only for models with both Tools and Agent, and says what is missing', () => {
    assert.deepEqual(agentAvailability('openai/gpt-4o', { tools: true, agent: true }), { enabled: true });
    const noAgent = agentAvailability('openai/gpt-4o', { tools: true, agent: false });
    assert.equal(noAgent.enabled, false);
    assert.match(noAgent.reason ?? '', /not marked for Agent: turn it on in Configure Providers/);
    assert.match(agentAvailability('x/y', {}).reason ?? '', /Tools and Agent: turn them on/);
    assert.match(agentAvailability(null, { tools: true, agent: true }).reason ?? '', /active chat model/);
  });

  it('works out the proposed file the way the server checked it', () => {
    const edit = { chatId: 'c', tool: 'propose_edit', arguments: { path: 'a.py', oldText: 'b = 1', newText: 'b = 2' } };
    assert.equal(proposedText(edit, 'a = 0\nb = 1\n'), 'a = 0\nb = 2\n');
    assert.equal(proposedText(edit, 'b = 1\nb = 1\n'), undefined, 'twice: ambiguous');
    assert.equal(proposedText(edit, 'nothing'), undefined);
    assert.equal(proposedText({ chatId: 'c', tool: 'create_file', arguments: { path: 'n.py', content: 'x\n' } }, ''), 'x\n');
  });

  it('sends diagnostics with LSP severities', () => {
    const range = { start: { line: 1, character: 2 }, end: { line: 1, character: 5 } };
    assert.deepEqual(toLspDiagnostic('file:///a.py', { range, severity: 0, message: 'bad', source: 'pyright' }), {
      uri: 'file:///a.py',
      range,
      severity: 1,
      message: 'bad',
      source: 'pyright',
    });
    assert.equal(toLspDiagnostic('file:///a.py', { range, severity: 3, message: 'hint' }).severity, 4);
  });

  it('shows arguments on one line and folds long results', () => {
    assert.equal(describeArguments({ path: 'src/a.py', startLine: 3 }), 'path: src/a.py, startLine: 3');
    assert.equal(describeArguments({ content: 'a\n'.repeat(100) }, 10), 'content: a a a a a…');
    assert.equal(isLongResult('short'), false);
    assert.equal(isLongResult('1\n2\n3\n4\n5\n6\n7'), true);
    assert.equal(isLongResult('x'.repeat(401)), true);
  });
});
