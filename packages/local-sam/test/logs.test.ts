import { readableLine } from '../src/logs';

describe('readableLine', () => {
  it('shows a Powertools record as level, message and its own keys', () => {
    const line = JSON.stringify({ level: 'INFO', message: 'ticket placed', timestamp: 't', service: 's', cold_start: true, function_request_id: 'r', ticketId: 'o-1', note: 'two words' });
    expect(readableLine(line)).toBe('INFO ticket placed ticketId=o-1 note="two words"');
  });

  it('puts an error’s stack on the following lines', () => {
    const line = JSON.stringify({ level: 'ERROR', message: 'failed', error: { name: 'TypeError', message: 'x is undefined', stack: 'TypeError: x is undefined\n    at f (a.js:1:1)' } });
    expect(readableLine(line)).toBe('ERROR failed error="TypeError: x is undefined"\n    at f (a.js:1:1)');
  });

  it('leaves plain text and other JSON as they are', () => {
    expect(readableLine('plain text')).toBe('plain text');
    expect(readableLine('{"not":"a log record"}')).toBe('{"not":"a log record"}');
    expect(readableLine('{broken')).toBe('{broken');
  });

  it('shows an EMF metrics line as its metrics, grouped by dimension set', () => {
    const line = JSON.stringify({
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'ns', Dimensions: [['service']], Metrics: [{ Name: 'TicketsPlaced', Unit: 'Count' }, { Name: 'TimeToFinalState', Unit: 'Milliseconds' }] }] },
      service: 'ticket-api',
      TicketsPlaced: 2,
      TimeToFinalState: [120, 80],
    });
    expect(readableLine(line)).toBe('METRICS TicketsPlaced=2 TimeToFinalState=120,80 Milliseconds (service=ticket-api)');
  });
});
