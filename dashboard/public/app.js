// Self-healing dashboard page: polls the JSON API and renders cards, charts, the activity feed
// and the tables. Plain browser JavaScript, no build step. All data goes into the DOM as text
// (never as HTML): error messages come from applications and must not become markup.
(function () {
  'use strict';

  const RANGES = { '1h': 1, '6h': 6, '24h': 24, '7d': 168, '30d': 720, all: null };
  const DEFAULT_FILTERS = { severity: '', category: '', result: '', operation: '', range: '24h' };
  // One colour per outcome class (the server's classification of results, /api/meta vocabulary.outcomes).
  const OUTCOME_COLORS = { healed: '#16a34a', 'not-healed': '#dc2626', open: '#f59e0b', 'no-verdict': '#94a3b8' };
  const OUTCOME_LABELS = {
    healed: 'healed',
    'not-healed': 'not healed',
    open: 'in progress',
    'no-verdict': 'no verdict',
  };

  const state = {
    meta: null,
    filters: { ...DEFAULT_FILTERS },
    // Keyset paging: the cursor each visited page started at (the first page has none).
    pageCursors: [undefined],
    nextCursor: null,
    limit: 25,
    // Last answer and ETag per API path: a poll answered 304 re-uses the answer, nothing is redrawn.
    answers: new Map(),
    expanded: new Set(),
    charts: {},
    timer: null,
    generation: 0,
    refreshes: 0,
  };

  const $ = (id) => document.getElementById(id);

  /** el('td', { className: 'num', title: 'x' }, 'text', childNode, …) — children are text or nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key in node && key !== 'role') node[key] = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function badge(value, kind) {
    return el('span', { className: `badge${kind ? ` ${kind}` : ''}`, dataset: { value: value ?? '' } }, value ?? '—');
  }

  function outcomeOf(result) {
    const outcomes = state.meta.vocabulary.outcomes;
    return Object.keys(outcomes).find((outcome) => outcomes[outcome].includes(result));
  }

  function resultBadge(result) {
    const node = badge(result, 'result');
    node.dataset.outcome = outcomeOf(result) ?? '';
    return node;
  }

  /** "1 failed · 1 skipped": the results behind an outcome's count. */
  function resultBreakdown(byResult, outcome) {
    return state.meta.vocabulary.outcomes[outcome]
      .filter((result) => byResult[result] > 0)
      .map((result) => `${byResult[result]} ${result}`)
      .join(' · ');
  }

  // ------------------------------------------------------------------------------------------
  // Formatting

  function formatDuration(ms) {
    if (ms === null || ms === undefined) return '—';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
    if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
    return `${(ms / 3_600_000).toFixed(1)} h`;
  }

  function formatPercent(rate) {
    return rate === null || rate === undefined ? '—' : `${Math.round(rate * 1000) / 10}%`;
  }

  function relativeTime(iso) {
    if (!iso) return '—';
    const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (seconds < 5) return 'just now';
    if (seconds < 60) return `${seconds} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
    return new Date(iso).toLocaleString();
  }

  function shortTime(iso) {
    const date = new Date(iso);
    const sameDay = date.toDateString() === new Date().toDateString();
    return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
  }

  function rateCell(rate) {
    const width = rate === null || rate === undefined ? 0 : Math.round(rate * 100);
    return el(
      'div',
      { className: 'rate' },
      el('div', { className: 'rate-bar' }, el('span', { style: `width:${width}%` })),
      el('span', { className: 'rate-text' }, formatPercent(rate)),
    );
  }

  // ------------------------------------------------------------------------------------------
  // API

  class Unauthorized extends Error {}

  async function api(path, params) {
    return (await poll(path, params)).body;
  }

  /** { body, changed }: asks with the ETag of the last answer for this path and these parameters. */
  async function poll(path, params) {
    const url = new URL(path, window.location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    }
    const previous = state.answers.get(path);
    const headers = { Accept: 'application/json' };
    if (previous && previous.url === url.href) headers['If-None-Match'] = previous.etag;
    const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers });
    if (response.status === 401) throw new Unauthorized();
    if (response.status === 304 && previous) return { body: previous.body, changed: false };
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const body = await response.json();
    const etag = response.headers.get('ETag');
    if (etag) state.answers.set(path, { url: url.href, etag, body });
    return { body, changed: true };
  }

  /** Whole minutes, so that consecutive polls ask the same question (and may get 304). */
  function rangeStart() {
    const hours = RANGES[state.filters.range];
    if (!hours) return undefined;
    return new Date(Math.floor(Date.now() / 60_000) * 60_000 - hours * 3_600_000).toISOString();
  }

  function chartHours() {
    const hours = RANGES[state.filters.range];
    return Math.min(168, Math.max(24, hours ?? 168));
  }

  // ------------------------------------------------------------------------------------------
  // Filters, pagination, URL hash

  function readHash() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    for (const key of Object.keys(DEFAULT_FILTERS)) {
      if (params.has(key)) state.filters[key] = params.get(key) ?? '';
    }
    if (!(state.filters.range in RANGES)) state.filters.range = DEFAULT_FILTERS.range;
    const limit = Number(params.get('limit'));
    if ([10, 25, 50, 100].includes(limit)) state.limit = limit;
  }

  function writeHash() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(state.filters)) {
      if (value !== DEFAULT_FILTERS[key]) params.set(key, value);
    }
    if (state.limit !== 25) params.set('limit', String(state.limit));
    const hash = params.toString();
    history.replaceState(null, '', hash ? `#${hash}` : window.location.pathname);
  }

  function fillSelect(select, values, current) {
    const wanted = ['', ...values];
    const existing = Array.from(select.options).map((option) => option.value);
    if (existing.join('\u0000') !== wanted.join('\u0000')) {
      select.replaceChildren(
        ...wanted.map((value) => el('option', { value }, value === '' ? 'All' : value.replaceAll('_', ' '))),
      );
    }
    select.value = current;
    // A filter value no longer offered (e.g. an operation from a bookmark): keep it selectable.
    if (select.value !== current && current) {
      select.append(el('option', { value: current }, current));
      select.value = current;
    }
  }

  function syncFilterForm() {
    const form = $('filters');
    const vocabulary = state.meta.vocabulary;
    fillSelect(form.elements.severity, vocabulary.severities, state.filters.severity);
    fillSelect(form.elements.category, vocabulary.categories, state.filters.category);
    fillSelect(form.elements.result, vocabulary.results, state.filters.result);
    const operations = Array.from(form.elements.operation.options)
      .map((option) => option.value)
      .filter(Boolean);
    fillSelect(form.elements.operation, operations, state.filters.operation);
    form.elements.range.value = state.filters.range;
    $('page-size').value = String(state.limit);
  }

  function onFilterChange() {
    const form = $('filters');
    for (const key of Object.keys(DEFAULT_FILTERS)) state.filters[key] = form.elements[key].value;
    state.pageCursors = [undefined];
    state.expanded.clear();
    writeHash();
    refreshNow();
  }

  // ------------------------------------------------------------------------------------------
  // Rendering: health

  function renderHealth(health) {
    const overall = $('overall');
    overall.dataset.status = health.overall;
    $('overall-text').textContent = health.overall === 'unknown' ? 'No recent health data' : `System ${health.overall}`;
    $('health-meta').textContent = health.lastCheckedAt
      ? `last checked ${relativeTime(health.lastCheckedAt)} · trend of the last ${health.trendHours} h`
      : '';
    const cards = $('health-cards');
    if (health.checks.length === 0) {
      cards.replaceChildren(el('p', { className: 'empty' }, 'No health checks recorded yet.'));
      return;
    }
    cards.replaceChildren(...health.checks.map(healthCard));
  }

  /** A skipped check did not run (not configured): its latency means nothing. */
  function latencyOf(point) {
    return point.status === 'skipped' ? null : point.latencyMs;
  }

  function skippedReason(check) {
    const reason = check.details && check.details.reason;
    return typeof reason === 'string' && reason ? reason : 'not configured';
  }

  function healthCard(check) {
    const trend = check.trend.slice(-60);
    const maxLatency = Math.max(1, ...trend.map((point) => latencyOf(point) ?? 0));
    const bars = trend.map((point) =>
      el('span', {
        dataset: { status: point.status },
        title:
          `${new Date(point.at).toLocaleString()} · ${point.status === 'skipped' ? 'not checked' : point.status}` +
          (latencyOf(point) === null ? '' : ` · ${point.latencyMs} ms`),
        style: `height:${Math.max(18, Math.round(((latencyOf(point) ?? 0) / maxLatency) * 100))}%`,
      }),
    );
    const fact =
      check.status === 'skipped'
        ? el('span', { className: 'not-configured' }, skippedReason(check))
        : el('span', {}, 'latency ', el('strong', {}, check.latencyMs === null ? '—' : `${check.latencyMs} ms`));
    return el(
      'article',
      { className: 'card', dataset: { status: check.status, stale: String(check.stale), check: check.name } },
      el(
        'div',
        { className: 'card-head' },
        el('span', { className: 'card-name', title: check.name }, check.name),
        el('span', {}, check.stale ? badge('stale', 'stale') : null, ' ', badge(check.status)),
      ),
      el(
        'div',
        { className: 'card-facts' },
        fact,
        el('span', { title: new Date(check.checkedAt).toLocaleString() }, relativeTime(check.checkedAt)),
      ),
      check.error ? el('div', { className: 'card-error', title: check.error }, check.error) : null,
      el('div', { className: 'trend', 'aria-label': `${trend.length} recent results` }, bars),
      el(
        'div',
        { className: 'trend-label' },
        `${trend.length} result${trend.length === 1 ? '' : 's'} · height = latency`,
      ),
    );
  }

  // ------------------------------------------------------------------------------------------
  // Rendering: statistics and charts

  function renderStats(stats) {
    const outcomes = stats.byOutcome;
    $('kpi-total').textContent = String(stats.total);
    $('kpi-success').textContent = formatPercent(stats.successRate);
    $('kpi-success-note').textContent = stats.resolved
      ? `${outcomes.healed} of ${stats.resolved} with a verdict`
      : 'no verdict yet';
    $('kpi-mtth').textContent = formatDuration(stats.meanTimeToHealMs);
    $('kpi-healed').textContent = String(outcomes.healed);
    for (const outcome of ['not-healed', 'open', 'no-verdict']) {
      $(`kpi-${outcome}`).textContent = String(outcomes[outcome]);
      $(`kpi-${outcome}-note`).textContent = resultBreakdown(stats.byResult, outcome);
    }
    const range = $('filters').elements.range;
    $('stats-range').textContent = range.options[range.selectedIndex]?.textContent ?? '';

    const shown = Object.keys(OUTCOME_COLORS).filter((outcome) => outcomes[outcome] > 0);
    drawChart(
      'outcomes',
      'doughnut',
      {
        labels: shown.map((outcome) => OUTCOME_LABELS[outcome]),
        datasets: [
          {
            data: shown.map((outcome) => outcomes[outcome]),
            backgroundColor: shown.map((outcome) => OUTCOME_COLORS[outcome]),
            borderWidth: 1,
          },
        ],
      },
      { plugins: { legend: { position: 'right' } }, cutout: '58%' },
    );

    $('hourly-caption').textContent = `Events per hour (last ${stats.hourly.length} h)`;
    drawChart(
      'hourly',
      'bar',
      {
        labels: stats.hourly.map((bucket) => hourLabel(bucket.hour, stats.hourly.length)),
        datasets: [
          {
            label: 'events',
            data: stats.hourly.map((bucket) => bucket.count),
            backgroundColor: '#3b82f6',
            borderRadius: 3,
          },
        ],
      },
      {
        plugins: { legend: { display: false } },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 } },
          x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        },
      },
    );

    const categories = stats.byCategory;
    drawChart(
      'categories',
      'bar',
      {
        labels: categories.map((group) => (group.key ?? 'undiagnosed').replaceAll('_', ' ')),
        datasets: [
          { label: 'healed', data: categories.map((group) => group.healed), backgroundColor: OUTCOME_COLORS.healed },
          {
            label: 'not healed',
            data: categories.map((group) => group.notHealed),
            backgroundColor: OUTCOME_COLORS['not-healed'],
          },
          {
            label: 'in progress or no verdict',
            data: categories.map((group) => group.unresolved),
            backgroundColor: '#cbd5e1',
          },
        ],
      },
      {
        indexAxis: 'y',
        plugins: { legend: { position: 'bottom' } },
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      },
    );

    $('strategies-body').replaceChildren(
      ...(stats.byStrategy.length === 0
        ? [el('tr', {}, el('td', { colSpan: 4, className: 'empty' }, 'No healing attempts in this range.'))]
        : stats.byStrategy.map((group) =>
            el(
              'tr',
              {},
              el('td', {}, group.key ?? '(none chosen)'),
              el('td', { className: 'num' }, group.count),
              el('td', { className: 'num' }, group.healed),
              el('td', {}, rateCell(group.successRate)),
            ),
          )),
    );
  }

  function hourLabel(iso, buckets) {
    const date = new Date(iso);
    const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return buckets > 24 ? `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}` : time;
  }

  function drawChart(name, type, data, options) {
    const existing = state.charts[name];
    if (existing && existing.config.type === type) {
      existing.data.labels = data.labels;
      data.datasets.forEach((dataset, index) => {
        if (existing.data.datasets[index]) Object.assign(existing.data.datasets[index], dataset);
        else existing.data.datasets.push(dataset);
      });
      existing.data.datasets.length = data.datasets.length;
      existing.update('none');
      return;
    }
    if (typeof window.Chart !== 'function') return;
    state.charts[name] = new window.Chart($(`chart-${name}`), {
      type,
      data,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...options },
    });
  }

  // ------------------------------------------------------------------------------------------
  // Rendering: feed and patterns

  function renderEvents(page) {
    state.nextCursor = page.nextCursor;
    const body = $('events-body');
    if (page.rows.length === 0) {
      body.replaceChildren(
        el('tr', {}, el('td', { colSpan: 10, className: 'empty' }, 'No healing events match these filters.')),
      );
    } else {
      body.replaceChildren(...page.rows.flatMap(eventRows));
    }
    const offset = (state.pageCursors.length - 1) * state.limit;
    const first = page.rows.length === 0 ? 0 : offset + 1;
    const last = offset + page.rows.length;
    // Beyond a few hundred matches the server estimates the count; the last page knows it exactly.
    const count = page.nextCursor ? page.total : last;
    const total = `${page.totalEstimated && page.nextCursor ? '~' : ''}${count.toLocaleString('en-US')}`;
    $('page-info').textContent = `${first}–${last} of ${total}`;
    $('feed-count').textContent = `${total} event${count === 1 ? '' : 's'}`;
    $('page-prev').disabled = state.pageCursors.length === 1;
    $('page-next').disabled = !page.nextCursor;
  }

  function eventRows(event) {
    const expanded = state.expanded.has(event.id);
    const row = el(
      'tr',
      {
        className: 'event',
        dataset: { id: event.id, result: event.result, severity: event.severity ?? '', category: event.category ?? '' },
        'aria-expanded': String(expanded),
        title: 'Click for details',
      },
      whenCell(event),
      el('td', { className: 'op' }, event.operation),
      el(
        'td',
        {},
        el('span', { className: 'err-class' }, event.error.class),
        event.error.code ? ` (${event.error.code})` : '',
        el('span', { className: 'err-msg', title: event.error.message }, event.error.message),
      ),
      el(
        'td',
        {},
        event.category ? event.category.replaceAll('_', ' ') : '—',
        ' ',
        event.severity ? badge(event.severity, 'sev') : null,
      ),
      el(
        'td',
        {},
        event.diagnosisSource ? badge(event.diagnosisSource, 'src') : '—',
        event.diagnosis
          ? el('span', { className: 'diag', title: event.diagnosis.rootCause }, event.diagnosis.rootCause)
          : null,
      ),
      el('td', {}, event.strategy ?? '—'),
      el('td', { className: 'num' }, event.attempts),
      el('td', {}, resultBadge(event.result)),
      el('td', { className: 'num' }, formatDuration(event.healingDurationMs)),
      el(
        'td',
        { className: 'run' },
        event.temporalUrl
          ? el(
              'a',
              {
                href: event.temporalUrl,
                target: '_blank',
                rel: 'noopener noreferrer',
                onclick: (e) => e.stopPropagation(),
              },
              'Temporal ↗',
            )
          : '—',
      ),
    );
    row.addEventListener('click', () => {
      if (state.expanded.has(event.id)) state.expanded.delete(event.id);
      else state.expanded.add(event.id);
      renderEventsAgain();
    });
    return expanded ? [row, detailsRow(event)] : [row];
  }

  /** The row's own time: when its run began. A re-run keeps the original detection time: say so beside it. */
  function whenCell(event) {
    const started = new Date(event.startedAt);
    const detected = new Date(event.detectedAt);
    const detectedEarlier = started.getTime() - detected.getTime() > 60_000;
    const title = `started ${started.toLocaleString()}\nerror detected ${detected.toLocaleString()}`;
    return el(
      'td',
      { className: 'when', title },
      shortTime(event.startedAt),
      detectedEarlier ? el('span', { className: 'detected' }, `error of ${shortTime(event.detectedAt)}`) : null,
    );
  }

  function detailsRow(event) {
    const facts = [
      ['Error', `${event.error.class}: ${event.error.message}`],
      ['Signature', event.signature],
      [
        'Diagnosis',
        event.diagnosis
          ? `${event.diagnosis.rootCause} — ${event.diagnosis.explanation} (source ${event.diagnosisSource}, confidence ${formatPercent(event.diagnosis.confidence)}, ${event.diagnosis.transient ? 'transient' : 'permanent'})`
          : 'not diagnosed',
      ],
      ['Detected', new Date(event.detectedAt).toLocaleString()],
      ['Started', new Date(event.startedAt).toLocaleString()],
      ['Resolved', event.resolvedAt ? new Date(event.resolvedAt).toLocaleString() : 'not yet'],
      ['Workflow', event.workflowId ?? '—'],
    ];
    const attempts =
      event.attemptLog.length === 0
        ? el('span', { className: 'muted' }, 'no strategy attempts')
        : el(
            'ol',
            { className: 'attempts' },
            event.attemptLog.map((attempt) =>
              el(
                'li',
                {},
                `${attempt.strategy}${attempt.explored ? ' (explored)' : ''}: ${attempt.result} in ${formatDuration(attempt.durationMs)}${attempt.error ? ` — ${attempt.error}` : ''}`,
              ),
            ),
          );
    return el(
      'tr',
      { className: 'details' },
      el(
        'td',
        { colSpan: 10 },
        el(
          'dl',
          { className: 'details-grid' },
          facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
          el('dt', {}, 'Attempts'),
          el('dd', {}, attempts),
        ),
      ),
    );
  }

  let lastEventsPage = null;
  function renderEventsAgain() {
    if (lastEventsPage) renderEvents(lastEventsPage);
  }

  function renderPatterns(patterns) {
    $('patterns-body').replaceChildren(
      ...(patterns.rows.length === 0
        ? [el('tr', {}, el('td', { colSpan: 8, className: 'empty' }, 'Nothing learned yet.'))]
        : patterns.rows.map((pattern) =>
            el(
              'tr',
              {},
              el(
                'td',
                { className: 'sig', title: signatureTitle(pattern) },
                pattern.signature.slice(0, 12),
                ...(pattern.recurring
                  ? [' ', el('span', { className: 'badge sev', dataset: { value: 'high' } }, 'recurring')]
                  : []),
              ),
              el('td', {}, pattern.strategy),
              el('td', {}, pattern.category ? pattern.category.replaceAll('_', ' ') : '—'),
              el('td', { className: 'num' }, `${pattern.successCount} / ${pattern.failureCount}`),
              el('td', {}, rateCell(pattern.successRate)),
              el('td', { title: `${pattern.held} of ${pattern.heals} heals held` }, rateCell(pattern.effectiveness)),
              el('td', { className: 'num' }, formatDuration(pattern.avgHealingMs)),
              el('td', { title: new Date(pattern.lastSeen).toLocaleString() }, relativeTime(pattern.lastSeen)),
            ),
          )),
    );
  }

  function renderBreakers(breakers) {
    const empty = breakers.available
      ? 'No circuit breaker runs.'
      : 'Not available here (the dashboard runs without the worker).';
    $('breakers-body').replaceChildren(
      ...(breakers.rows.length === 0
        ? [el('tr', {}, el('td', { colSpan: 8, className: 'empty' }, empty))]
        : breakers.rows.map((breaker) =>
            el(
              'tr',
              { dataset: { state: breaker.state || 'unknown' } },
              el(
                'td',
                {},
                el('a', { href: breaker.temporalUrl, target: '_blank', rel: 'noopener noreferrer' }, breaker.operation),
              ),
              el(
                'td',
                { title: breaker.heldBy ? `held open by ${breaker.heldBy}` : '' },
                badge(breaker.state, 'breaker'),
              ),
              el('td', { title: breaker.since || '' }, breaker.since ? relativeTime(breaker.since) : '—'),
              el('td', {}, breaker.retryAt ? shortTime(breaker.retryAt) : '—'),
              el(
                'td',
                {},
                breaker.failureRate === null ? '—' : `${formatPercent(breaker.failureRate)} of ${breaker.calls}`,
              ),
              el(
                'td',
                { className: 'num' },
                breaker.instances === null ? '—' : `${breaker.failingInstances} / ${breaker.instances}`,
              ),
              el('td', { className: 'num' }, breaker.rejected === null ? '—' : String(breaker.rejected)),
              el('td', {}, breaker.reason || '—'),
            ),
          )),
    );
  }

  /** The full signature, its root cause, and how well its heals held (all strategies). */
  function signatureTitle(pattern) {
    const held = `heals held (signature): ${formatPercent(pattern.signatureEffectiveness)}${pattern.recurring ? ', recurring now' : ''}`;
    return [pattern.signature, pattern.rootCause, held].filter(Boolean).join('\n');
  }

  function renderOperations(list) {
    fillSelect($('filters').elements.operation, list.operations, state.filters.operation);
  }

  // ------------------------------------------------------------------------------------------
  // Polling

  async function refresh() {
    const generation = ++state.generation;
    const from = rangeStart();
    const filters = { ...state.filters };
    delete filters.range;
    try {
      const before = state.pageCursors[state.pageCursors.length - 1];
      const [health, stats, events, patterns, operations, breakers] = await Promise.all([
        poll('/api/health'),
        poll('/api/stats', { from, hours: chartHours() }),
        poll('/api/events', { ...filters, from, limit: state.limit, before }),
        poll('/api/patterns', { limit: 20 }),
        poll('/api/operations'),
        poll('/api/breakers'),
      ]);
      if (generation !== state.generation) return; // a newer refresh (e.g. a filter change) is under way
      if (health.changed) renderHealth(health.body);
      if (stats.changed) renderStats(stats.body);
      if (events.changed) {
        lastEventsPage = events.body;
        renderEvents(events.body);
      }
      if (patterns.changed) renderPatterns(patterns.body);
      if (operations.changed) renderOperations(operations.body);
      if (breakers.changed) renderBreakers(breakers.body);
      $('connection-error').hidden = true;
      $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
      state.refreshes += 1;
      document.body.dataset.loaded = 'true';
      document.body.dataset.refreshes = String(state.refreshes);
    } catch (error) {
      if (error instanceof Unauthorized) {
        window.location.reload(); // the server answers with the sign-in page
        return;
      }
      if (generation === state.generation) $('connection-error').hidden = false;
      console.error(error);
    }
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(async () => {
      await refresh();
      schedule();
    }, state.meta.pollIntervalMs);
  }

  async function refreshNow() {
    clearTimeout(state.timer);
    await refresh();
    schedule();
  }

  async function start() {
    try {
      state.meta = await api('/api/meta');
    } catch (error) {
      if (error instanceof Unauthorized) window.location.reload();
      else $('connection-error').hidden = false;
      setTimeout(start, 5000);
      return;
    }
    const temporalLink = $('temporal-link');
    temporalLink.href = `${state.meta.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(state.meta.temporalNamespace)}/workflows`;
    readHash();
    syncFilterForm();

    const form = $('filters');
    form.addEventListener('change', onFilterChange);
    form.addEventListener('submit', (event) => event.preventDefault());
    form.addEventListener('reset', (event) => {
      event.preventDefault();
      state.filters = { ...DEFAULT_FILTERS };
      syncFilterForm();
      onFilterChange();
    });
    $('page-prev').addEventListener('click', () => {
      if (state.pageCursors.length > 1) state.pageCursors.pop();
      refreshNow();
    });
    $('page-next').addEventListener('click', () => {
      if (state.nextCursor) state.pageCursors.push(state.nextCursor);
      refreshNow();
    });
    $('page-size').addEventListener('change', (event) => {
      state.limit = Number(event.target.value);
      state.pageCursors = [undefined];
      writeHash();
      refreshNow();
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) refreshNow();
    });
    await refreshNow();
  }

  start();
})();
