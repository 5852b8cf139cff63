// The console page: draws the pipeline once (the server's `pipeline` event) and updates its
// figures, the app's panels and the metrics from each `state` event. Plain DOM, no build step; every
// value from the stack is set as text, never as markup.

const KIND_LABELS = { api: 'API Gateway', schedule: 'Schedule', function: 'Lambda function', topic: 'SNS topic', queue: 'SQS queue' };
const integer = new Intl.NumberFormat('en-US');
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined) continue;
    if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.flat().filter((child) => child !== undefined && child !== null));
  return element;
}

/** Text with line-break opportunities before each capital word and after each slash: BalanceChecker<wbr>Function. */
function breakable(text) {
  return text.split(/(?=[A-Z][a-z])|(?<=\/)/).flatMap((part, index) => (index === 0 ? [part] : [document.createElement('wbr'), part]));
}

function figure(name, label) {
  return h('span', { class: 'figure' }, h('span', { class: 'value', 'data-figure': name }, '–'), ` ${label}`);
}

function nodeCard(node) {
  const card = h(
    'article',
    { class: `node node-${node.kind}`, 'data-node': node.id, style: `grid-column: ${node.column + 1}; grid-row: ${node.row + 1}` },
    h('p', { class: 'kind' }, KIND_LABELS[node.kind] ?? node.kind),
    h('h3', { title: node.id }, breakable(node.id)),
  );
  if (node.kind === 'function') card.append(h('p', { class: 'figures' }, figure('invocations', 'invocations'), figure('errors', 'errors'), figure('p99', 'p99')));
  if (node.kind === 'queue') card.append(h('p', { class: 'figures' }, figure('visible', 'visible'), figure('inFlight', 'in flight'), figure('delayed', 'delayed')));
  if (node.detail.length > 0) card.append(h('ul', { class: 'detail' }, node.detail.map((line) => h('li', {}, breakable(line)))));
  if (node.deadLetterQueue) {
    const { id, maxReceiveCount } = node.deadLetterQueue;
    const button = h('button', { type: 'button', 'data-redrive': id, disabled: true, title: `Move ${id}'s messages back to ${node.id}` }, 'Redrive');
    button.addEventListener('click', () => redrive(button, id));
    card.append(
      h(
        'div',
        { class: 'dead-letters', 'data-dead-letter-queue': id },
        h('p', {}, h('span', { class: 'value', 'data-figure': 'deadLetters' }, '–'), ' dead letters ', button),
        h('p', { class: 'dlq-name', title: id }, `in `, breakable(id), `, after ${maxReceiveCount} receives`),
      ),
    );
  }
  return card;
}

let pipeline;
/** Cards grow and shrink with their figures: the arrows follow. */
const resizes = new ResizeObserver(() => drawEdges());

function drawPipeline(next) {
  pipeline = next;
  document.title = `${next.stackName} · local console`;
  $('stack-name').textContent = next.stackName;
  const container = $('pipeline');
  container.querySelectorAll('.node').forEach((card) => card.remove());
  container.style.setProperty('--columns', String(Math.max(...next.nodes.map((node) => node.column)) + 1));
  for (const node of next.nodes) {
    const card = nodeCard(node);
    container.append(card);
    resizes.observe(card);
  }
  drawEdges();
}

/** Arrows from each card's right edge to the next card's left edge, behind the cards. */
function drawEdges() {
  if (!pipeline) return;
  const container = $('pipeline');
  const svg = $('edges');
  svg.querySelectorAll('path.edge').forEach((path) => path.remove());
  const box = container.getBoundingClientRect();
  svg.setAttribute('width', String(container.scrollWidth));
  svg.setAttribute('height', String(container.scrollHeight));
  const rectOf = (id) => container.querySelector(`[data-node="${CSS.escape(id)}"]`)?.getBoundingClientRect();
  for (const { from, to } of pipeline.edges) {
    const a = rectOf(from);
    const b = rectOf(to);
    if (!a || !b) continue;
    const x1 = a.right - box.left + container.scrollLeft;
    const y1 = a.top + a.height / 2 - box.top;
    const x2 = b.left - box.left + container.scrollLeft - 2;
    const y2 = b.top + b.height / 2 - box.top;
    const bend = Math.max(24, (x2 - x1) / 2);
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('class', 'edge');
    path.setAttribute('d', `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`);
    path.setAttribute('marker-end', 'url(#arrow)');
    svg.append(path);
  }
}

/** Sets a figure's text, and marks it for a moment when it changed. */
function setFigure(scope, name, value) {
  const element = scope?.querySelector(`[data-figure="${name}"]`);
  if (!element) return;
  const text = value === undefined ? '–' : String(value);
  if (element.textContent === text) return;
  const changed = element.textContent !== '–';
  element.textContent = text;
  if (changed) {
    element.classList.remove('changed');
    void element.offsetWidth;
    element.classList.add('changed');
  }
}

const milliseconds = (value) => (value === undefined ? undefined : value < 10 ? `${value.toFixed(1)} ms` : `${integer.format(Math.round(value))} ms`);

function showFigures(state) {
  for (const node of pipeline?.nodes ?? []) {
    const card = document.querySelector(`[data-node="${CSS.escape(node.id)}"]`);
    if (node.kind === 'function') {
      const figures = state.functions[node.id] ?? { invocations: 0, errors: 0 };
      setFigure(card, 'invocations', integer.format(figures.invocations));
      setFigure(card, 'errors', integer.format(figures.errors));
      setFigure(card, 'p99', milliseconds(figures.p99DurationMs));
      card.classList.toggle('failing', figures.errors > 0);
      card.querySelector('[data-figure="errors"]').parentElement.title = figures.lastErrorType ? `last error: ${figures.lastErrorType}` : '';
    }
    if (node.kind === 'queue') {
      const depth = state.queues[node.id];
      setFigure(card, 'visible', depth && integer.format(depth.visible));
      setFigure(card, 'inFlight', depth && integer.format(depth.inFlight));
      setFigure(card, 'delayed', depth && integer.format(depth.delayed));
      card.querySelector('[data-figure="delayed"]').parentElement.hidden = !depth?.delayed;
      if (node.deadLetterQueue) {
        const deadLetters = state.queues[node.deadLetterQueue.id];
        const count = deadLetters ? deadLetters.visible + deadLetters.inFlight + deadLetters.delayed : undefined;
        setFigure(card, 'deadLetters', count === undefined ? undefined : integer.format(count));
        card.classList.toggle('has-dead-letters', Boolean(count));
        const button = card.querySelector('[data-redrive]');
        if (!button.classList.contains('busy')) button.disabled = !deadLetters?.visible;
      }
    }
  }
}

// What the reader opened or closed stays so; the first item of a panel starts open.
const openItems = new Set();
const seenPanels = new Set();

/** The section of an app panel, made the first time the panel appears, before the metrics. */
function panelSection(panel) {
  const existing = document.querySelector(`[data-panel="${CSS.escape(panel.id)}"]`);
  if (existing) return existing;
  const section = h(
    'section',
    { 'data-panel': panel.id, 'aria-labelledby': `panel-${panel.id}-title` },
    h('h2', { id: `panel-${panel.id}-title` }, panel.title, ' ', h('span', { class: 'hint', 'data-summary': '' })),
    h('div', { class: 'counts', 'data-counts': '' }),
    h('p', { class: 'empty', 'data-unavailable': '', hidden: true }),
    h('ol', { class: 'items', 'data-items': '' }),
  );
  $('metrics-section').before(section);
  return section;
}

function showPanel(panel) {
  const section = panelSection(panel);
  const unavailable = section.querySelector('[data-unavailable]');
  unavailable.hidden = !panel.unavailable;
  unavailable.textContent = panel.unavailable ? `${panel.title} cannot be shown: ${panel.unavailable}.` : '';
  if (panel.unavailable) return;
  section.querySelector('[data-summary]').textContent = panel.summary ?? '';
  const tone = (item) => (item.tone ? ` tone-${item.tone}` : '');
  section
    .querySelector('[data-counts]')
    .replaceChildren(...(panel.counts ?? []).map((count) => h('p', { class: `count${tone(count)}`, 'data-count': count.label }, h('span', { class: 'value' }, integer.format(count.value)), ` ${count.label}`)));
  const items = panel.items ?? [];
  const key = (item) => `${panel.id}/${item.id}`;
  if (!seenPanels.has(panel.id) && items[0]) {
    openItems.add(key(items[0]));
    seenPanels.add(panel.id);
  }
  section.querySelector('[data-items]').replaceChildren(
    ...items.map((item) => {
      const details = h(
        'details',
        { open: openItems.has(key(item)) },
        h(
          'summary',
          {},
          h('code', { class: 'item-id' }, item.id),
          item.status ? h('span', { class: `status${tone(item)}`, 'data-item-status': '' }, item.status) : '',
          h('span', { class: 'item-facts' }, item.facts ?? ''),
        ),
        h('ol', { class: 'logs' }, (item.lines ?? []).map((line) => h('li', {}, line))),
      );
      details.addEventListener('toggle', () => (details.open ? openItems.add(key(item)) : openItems.delete(key(item))));
      return h('li', { 'data-item': item.id, ...(item.status ? { 'data-status': item.status } : {}) }, details);
    }),
  );
}

function showMetrics(metrics) {
  $('metrics-empty').hidden = metrics.length > 0;
  $('metrics').hidden = metrics.length === 0;
  const number = (value) => (value === undefined ? '–' : decimal.format(value));
  $('metrics')
    .querySelector('tbody')
    .replaceChildren(
      ...metrics.map((series) =>
        h(
          'tr',
          { 'data-metric': `${series.namespace}/${series.name}`, title: `${series.namespace}, from ${series.emittedBy.join(', ')}` },
          h('th', { scope: 'row' }, series.name),
          h('td', {}, Object.entries(series.dimensions).map(([key, value]) => `${key}=${value}`).join(', ') || '(none)'),
          h('td', { class: 'number' }, integer.format(series.samples)),
          h('td', { class: 'number' }, number(series.sum)),
          h('td', { class: 'number' }, number(series.min)),
          h('td', { class: 'number' }, number(series.p99)),
          h('td', { class: 'number' }, number(series.max)),
          h('td', {}, series.unit),
        ),
      ),
    );
}

function showState(state) {
  showFigures(state);
  for (const panel of state.panels) showPanel(panel);
  showMetrics(state.metrics);
  const problems = $('problems');
  problems.hidden = state.problems.length === 0;
  problems.textContent = state.problems.join(' · ');
  setConnection('live', `live · updated ${new Date(state.at).toLocaleTimeString()}`);
}

function setConnection(state, text) {
  const connection = $('connection');
  connection.dataset.state = state;
  connection.textContent = text;
}

function notify(text, failed = false) {
  const notice = $('notice');
  notice.hidden = false;
  notice.classList.toggle('failed', failed);
  notice.textContent = text;
}

async function redrive(button, deadLetterQueue) {
  button.disabled = true;
  button.classList.add('busy');
  try {
    const response = await fetch(`redrive/${encodeURIComponent(deadLetterQueue)}`, { method: 'POST' });
    const answer = await response.json();
    if (response.ok) notify(`Moved ${answer.moved} message${answer.moved === 1 ? '' : 's'} from ${answer.from} back to ${answer.to}.`);
    else notify(answer.message, true);
  } catch (error) {
    notify(`The redrive did not reach the stack: ${error.message}`, true);
  } finally {
    button.classList.remove('busy');
  }
}

const events = new EventSource('events');
events.addEventListener('pipeline', (event) => drawPipeline(JSON.parse(event.data)));
events.addEventListener('state', (event) => showState(JSON.parse(event.data)));
events.addEventListener('error', () => setConnection('lost', 'not connected: is the stack running? retrying…'));
resizes.observe($('pipeline'));
