// What an operator sees and hears: the functions' own metrics, the dashboard, the alarms.
import { METRICS } from '../../src/metrics';
import { asList, environmentOf, functionIds, logicalIdsOfType, props, resource, target, template, workQueueIds, type Json } from './stack';

const functions = functionIds();
const tables = logicalIdsOfType('AWS::DynamoDB::Table');
const queues = logicalIdsOfType('AWS::SQS::Queue');
const workQueues = workQueueIds();
const deadLetterQueues = queues.filter((queue) => !workQueues.includes(queue));
const alarms = logicalIdsOfType('AWS::CloudWatch::Alarm');
const [dashboard = ''] = logicalIdsOfType('AWS::CloudWatch::Dashboard');

/** A Fn::Sub string with each ${Name} as <Name>, so that what it names stays visible. */
function substituted(value: unknown): string {
  const sub = (value as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  if (typeof sub !== 'string') throw new Error(`expected a one-argument Fn::Sub, got ${JSON.stringify(value)}`);
  return sub.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => `<${name}>`);
}

interface Widget {
  properties: { title: string; stat: string; metrics: (unknown[] | [Json])[] };
}
/** A graphed metric: namespace, name, dimensions and options, as the dashboard lists them. */
interface Graphed {
  widget: string;
  stat: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

const body = () => JSON.parse(substituted(props(dashboard).DashboardBody)) as { widgets: Widget[] };
const graphed = (): Graphed[] =>
  body().widgets.flatMap(({ properties }) =>
    properties.metrics.flatMap((entry) => {
      if (entry.length === 1) return [];
      const fields = (entry as unknown[]).filter((field): field is string => typeof field === 'string');
      const [namespace = '', name = '', ...pairs] = fields;
      const dimensions = Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, index) => [pairs[2 * index], pairs[2 * index + 1]]));
      return [{ widget: properties.title, stat: properties.stat, namespace, name, dimensions }];
    }),
  );
const expressions = (): string[] => body().widgets.flatMap(({ properties }) => properties.metrics.flatMap((entry) => (entry.length === 1 ? [String((entry[0] as Json).expression)] : [])));

/** The API's name as API Gateway's metrics know it. */
const apiName = () => substituted(props('OrderCaptureApi').Name);
const namespace = () => (template.Globals?.Function?.Environment as { Variables: Json }).Variables.POWERTOOLS_METRICS_NAMESPACE;

interface Query {
  Id: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string };
}
/** What an alarm watches, its own metric or its metric math's, each as one query. */
function queriesOf(alarm: string): Query[] {
  const properties = props(alarm);
  if (!properties.MetricName) return properties.Metrics as Query[];
  const { Namespace, MetricName, Dimensions, Statistic, ExtendedStatistic } = properties as Record<string, unknown>;
  return [{ Id: 'metric', MetricStat: { Metric: { Namespace, MetricName, Dimensions }, Stat: Statistic ?? ExtendedStatistic } as Query['MetricStat'] }];
}
const dimensionOf = (query: Query, name: string) => query.MetricStat?.Metric.Dimensions.find((dimension) => dimension.Name === name)?.Value;
const alarmsWatching = (namespaceOfMetric: string, metricName: string, dimension: string, logicalId: string) =>
  alarms.filter((alarm) =>
    queriesOf(alarm).some((query) => query.MetricStat?.Metric.Namespace === namespaceOfMetric && query.MetricStat.Metric.MetricName === metricName && target(dimensionOf(query, dimension)) === logicalId),
  );

describe('the functions’ own metrics', () => {
  it('go to one namespace per stack', () => {
    expect(namespace()).toEqual({ Ref: 'AWS::StackName' });
  });

  it('carry a service dimension of each function’s own', () => {
    const services = functions.map((functionId) => environmentOf(functionId).POWERTOOLS_SERVICE_NAME);
    expect(services.length).toBeGreaterThan(0);
    for (const service of services) expect(typeof service).toBe('string');
    expect(new Set(services).size).toBe(functions.length);
  });
});

describe('the dashboard', () => {
  it('is one, valid JSON once CloudFormation has substituted it, named for the stack and its region', () => {
    expect(logicalIdsOfType('AWS::CloudWatch::Dashboard')).toEqual([dashboard]);
    expect(() => body()).not.toThrow();
    expect(props(dashboard).DashboardName).toEqual({ 'Fn::Sub': '${AWS::StackName}-${AWS::Region}' });
  });

  it('names only resources, parameters and pseudo parameters of the template', () => {
    const names = [...String((props(dashboard).DashboardBody as { 'Fn::Sub': string })['Fn::Sub']).matchAll(/\$\{([^}!][^}]*)\}/g)].map((match) => match[1] ?? '');
    const known = (name: string) => name.startsWith('AWS::') || name in template.Parameters || (name.split('.')[0] ?? '') in template.Resources;
    expect(names.filter((name) => !known(name))).toEqual([]);
  });

  it.each(workQueues)('shows how many messages wait in %s and how old the oldest is', (queue) => {
    const shown = graphed().filter((metric) => metric.namespace === 'AWS/SQS' && metric.dimensions.QueueName === `<${queue}.QueueName>`).map((metric) => metric.name);
    expect(shown).toEqual(expect.arrayContaining(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']));
  });

  it.each(deadLetterQueues)('shows the dead letters in %s, visible and in flight', (queue) => {
    const shown = graphed().filter((metric) => metric.namespace === 'AWS/SQS' && metric.dimensions.QueueName === `<${queue}.QueueName>`).map((metric) => metric.name);
    expect(shown).toEqual(expect.arrayContaining(['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible']));
  });

  it.each(functions)('shows the errors, throttles and p99 duration of %s', (functionId) => {
    const shown = graphed().filter((metric) => metric.namespace === 'AWS/Lambda' && metric.dimensions.FunctionName === `<${functionId}>`);
    expect(shown.map(({ name, stat }) => `${name} ${stat}`).sort()).toEqual(['Duration p99', 'Errors Sum', 'Throttles Sum']);
  });

  it('shows the API’s requests, 4XX and 5XX, and its p99 latency, under the name and stage API Gateway knows it by', () => {
    const shown = graphed().filter((metric) => metric.namespace === 'AWS/ApiGateway');
    expect(shown.length).toBeGreaterThan(0);
    for (const metric of shown) expect(metric.dimensions).toEqual({ ApiName: apiName(), Stage: '<StageName>' });
    expect(shown.map(({ name, stat }) => `${name} ${stat}`)).toEqual(expect.arrayContaining(['Count Sum', '4XXError Sum', '5XXError Sum', 'Latency p99']));
  });

  it('finds every metric the functions write in the stack’s namespace', () => {
    const searches = expressions().filter((expression) => expression.startsWith('SEARCH('));
    expect(searches.length).toBeGreaterThan(0);
    for (const search of searches) expect(search).toMatch(/^SEARCH\('\{"<AWS::StackName>",/);
    const found = new Set(searches.flatMap((search) => [...search.matchAll(/MetricName="(\w+)"/g)].map((match) => match[1])));
    expect([...Object.keys(METRICS), 'ColdStart'].filter((name) => !found.has(name))).toEqual([]);
  });

  it('shows the time from placement to final state at p50 and p99', () => {
    const times = expressions().filter((expression) => expression.includes('MetricName="TimeToFinalState"'));
    expect(times.map((expression) => expression.match(/', '(\w+)',/)?.[1]).sort()).toEqual(['p50', 'p99']);
  });

  it.each(tables)('shows the throttled reads and writes of %s', (table) => {
    const shown = graphed().filter((metric) => metric.namespace === 'AWS/DynamoDB' && metric.dimensions.TableName === `<${table}>`).map((metric) => metric.name);
    expect(shown.sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
  });
});

describe('alarms', () => {
  it('all notify the stack’s alarm topic, when they fire and when they clear', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect({ alarm, actions: props(alarm).AlarmActions, ok: props(alarm).OKActions }).toEqual({ alarm, actions: [{ Ref: 'StackAlarmTopic' }], ok: [{ Ref: 'StackAlarmTopic' }] });
    }
  });

  it('take every threshold a user would tune from a parameter, but for “any dead letter at all”', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      const threshold = props(alarm).Threshold;
      const fromParameter = typeof threshold === 'object' && String((threshold as { Ref?: string }).Ref) in template.Parameters;
      expect({ alarm, threshold: fromParameter ? 'a parameter' : threshold }).toEqual({ alarm, threshold: alarm.endsWith('DeadLetterQueueAlarm') ? 0 : 'a parameter' });
    }
  });

  it('read at most the 10 metrics an alarm may, and compute only from the metrics they read', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      const queries = queriesOf(alarm);
      expect({ alarm, metrics: queries.filter((query) => query.MetricStat).length <= 10 }).toEqual({ alarm, metrics: true });
      const ids = new Set(queries.map((query) => query.Id));
      for (const query of queries.filter((q) => q.Expression)) {
        const used = [...String(query.Expression).matchAll(/\b[a-z]\w*\b/g)].map((match) => match[0]);
        expect({ alarm, unknown: used.filter((id) => !ids.has(id)) }).toEqual({ alarm, unknown: [] });
      }
      expect({ alarm, returned: queries.filter((query) => query.ReturnData !== false).length }).toEqual({ alarm, returned: 1 });
    }
  });

  it.each(functions)('watch the errors and throttles of %s', (functionId) => {
    const [alarm, ...others] = alarmsWatching('AWS/Lambda', 'Errors', 'FunctionName', functionId);
    expect(others).toEqual([]);
    expect(alarmsWatching('AWS/Lambda', 'Throttles', 'FunctionName', functionId)).toEqual([alarm]);
    expect(props(alarm ?? '')).toMatchObject({ Threshold: { Ref: 'FunctionErrorsAlarmThreshold' }, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
  });

  it.each(tables)('watch the throttled reads and writes of %s and of its indexes', (table) => {
    const [alarm = '', ...others] = alarmsWatching('AWS/DynamoDB', 'ReadThrottleEvents', 'TableName', table);
    expect(others).toEqual([]);
    expect(alarmsWatching('AWS/DynamoDB', 'WriteThrottleEvents', 'TableName', table)).toEqual([alarm]);
    const indexes = asList(props(table).GlobalSecondaryIndexes as { IndexName: string }[] | undefined).map((index) => index.IndexName);
    const watchedIndexes = (metricName: string) =>
      queriesOf(alarm).flatMap((query) => (query.MetricStat?.Metric.MetricName === metricName ? asList(dimensionOf(query, 'GlobalSecondaryIndexName') as string | undefined) : []));
    expect(watchedIndexes('ReadThrottleEvents')).toEqual(indexes);
    expect(watchedIndexes('WriteThrottleEvents')).toEqual(indexes);
    expect(props(alarm).Threshold).toEqual({ Ref: 'DynamoDbThrottleAlarmThreshold' });
  });

  it('watch the API’s share of 5XX answers and its p99 latency, under the name and stage API Gateway knows it by', () => {
    const onApi = (metricName: string) =>
      alarms.filter((alarm) => queriesOf(alarm).some((query) => query.MetricStat?.Metric.Namespace === 'AWS/ApiGateway' && query.MetricStat.Metric.MetricName === metricName));
    const [errors = '', ...moreErrors] = onApi('5XXError');
    const [latency = '', ...moreLatency] = onApi('Latency');
    expect([moreErrors, moreLatency]).toEqual([[], []]);
    for (const alarm of [errors, latency]) {
      const [query] = queriesOf(alarm).filter((q) => q.MetricStat);
      expect(substituted(dimensionOf(query as Query, 'ApiName'))).toBe(apiName());
      expect(dimensionOf(query as Query, 'Stage')).toEqual({ Ref: 'StageName' });
    }
    expect(queriesOf(errors).find((query) => query.MetricStat)?.MetricStat?.Stat).toBe('Average');
    expect(props(errors).Threshold).toEqual({ Ref: 'ApiServerErrorAlarmPercent' });
    expect(props(latency)).toMatchObject({ ExtendedStatistic: 'p99', Threshold: { Ref: 'ApiLatencyAlarmMilliseconds' } });
  });

  it('watch the orders rejected for dead letters, the one rejection that states no business reason, as the sweeper counts them', () => {
    const watching = alarms.filter((alarm) => queriesOf(alarm).some((query) => query.MetricStat?.Metric.MetricName === 'OrdersRejected'));
    expect(watching).toHaveLength(1);
    const [query] = queriesOf(watching[0] ?? '');
    expect(query?.MetricStat?.Metric.Namespace).toEqual(namespace());
    expect(dimensionOf(query as Query, 'service')).toBe(environmentOf('OrderSweeperFunction').POWERTOOLS_SERVICE_NAME);
    expect(dimensionOf(query as Query, 'Reason')).toBe('dead-lettered');
    expect(props(watching[0] ?? '').Threshold).toEqual({ Ref: 'DeadLetteredRejectionsAlarmThreshold' });
  });

  it('each have a name of their own, under the stack’s', () => {
    const names = alarms.map((alarm) => (props(alarm).AlarmName as { 'Fn::Sub': string })['Fn::Sub']);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^\$\{AWS::StackName\}-/);
    expect(new Set(names).size).toBe(alarms.length);
    expect(resource('StackAlarmTopic').Type).toBe('AWS::SNS::Topic');
  });
});
