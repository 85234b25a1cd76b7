// hemsnet dashboard page: reads the JSON API and the event stream of hemsnet.web (see
// docs/dashboard.md for the contract) and draws them. Read-only; no build step, no framework.
'use strict';

(() => {
  const NOW_WINDOW_MS = 10 * 60 * 1000; // the live power chart shows the last 10 minutes
  const REFRESH_MS = 30 * 1000; // health and today's demand, besides the stream's own triggers
  const WAITING_RETRY_MS = 5 * 1000;
  const DEMAND_RETRY_MS = 10 * 1000; // while the half-hour that closed has no demand yet
  const COLOURS = {
    normal: '#2563eb',
    reverse: '#0f766e',
    target: '#b91c1c',
    pf: '#7c3aed',
    reactive: '#94a3b8',
    level: { normal: '#15803d', warning: '#b45309', alarm: '#b91c1c', unknown: '#64748b' },
  };
  const NOW_MINUTES = 10;

  const $ = (id) => document.getElementById(id);

  // ---- language: the switch's last choice, else <html lang> from Accept-Language ------------

  const DICTIONARIES = window.hemsnetI18n || { en: {} };
  const LANG_KEY = 'hemsnet.lang';
  const stored = () => { try { return localStorage.getItem(LANG_KEY); } catch { return null; } };
  let lang = [stored(), document.documentElement.lang].find((l) => l && DICTIONARIES[l]) || 'en';

  function t(key, vars = {}) {
    const text = (DICTIONARIES[lang] || {})[key] ?? DICTIONARIES.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const element of document.querySelectorAll('[data-i18n]')) {
      element.textContent = t(element.dataset.i18n);
    }
    for (const element of document.querySelectorAll('[data-i18n-aria]')) {
      element.setAttribute('aria-label', t(element.dataset.i18nAria));
    }
    for (const button of document.querySelectorAll('#lang-switch button')) {
      button.setAttribute('aria-pressed', String(button.dataset.lang === lang));
    }
  }
  const token = new URLSearchParams(location.search).get('token');
  const state = {
    meter: null, // the store key of the meter shown
    today: null, // the meter's today, YYYY-MM-DD, from /api/demand
    followToday: true, // the demand chart moves on to the next day at midnight
    periodStart: null, // of the latest forecast: a new one means a half-hour has closed
    demandLoadedAt: 0, // Date.now() of the latest /api/demand request
    nowPoints: new Map(), // meter time (ms) -> kW
    link: null, // the latest LINK and FORECAST, drawn again when the language changes
    forecast: null,
    control: null, // the latest /api/control
    stream: null,
  };

  // ---- URLs and fetching ---------------------------------------------------------------------

  // Every API and stream URL carries the meter shown and the page's token [contract: Security].
  function apiUrl(path, query = {}) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      for (const item of [].concat(value)) params.append(name, item);
    }
    if (state.meter !== null) params.set('meter', state.meter);
    if (token) params.set('token', token);
    const text = params.toString();
    return text ? `${path}?${text}` : path;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super(body.error || `HTTP ${status}`);
      this.status = status;
      this.waiting = body.waiting === true;
    }
  }

  async function getJson(path, query) {
    const response = await fetch(apiUrl(path, query), { headers: { Accept: 'application/json' } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  // ---- formatting ----------------------------------------------------------------------------

  const decimals = (digits) => new Intl.NumberFormat('en-US', { // one notation for both languages
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
  const ONE = decimals(1);
  const TWO = decimals(2);
  const number = (value, unit, format = ONE) => (
    value === null || value === undefined ? '–' : `${format.format(value)} ${unit}`);
  const kw = (value) => number(value, 'kW');
  const hhmm = (iso) => (iso ? iso.slice(11, 16) : '–');
  const hhmmss = (iso) => (iso ? iso.slice(11, 19) : '–');
  const dateTime = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '–');
  // Naive ISO times are meter (or controller) local time; Date reads them as local too.
  const toMs = (iso) => new Date(iso).getTime();
  const pad = (n) => String(n).padStart(2, '0');
  const isoDate = (date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const clockOf = (ms) => {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  const addDays = (day, n) => {
    const date = new Date(`${day}T00:00:00`);
    date.setDate(date.getDate() + n);
    return isoDate(date);
  };

  function setText(id, text) {
    const element = $(id);
    if (element.textContent !== text) element.textContent = text;
  }

  function banner(message) {
    const element = $('banner');
    element.hidden = !message;
    element.textContent = message || '';
  }

  function fillRows(table, rows) {
    const body = table.tBodies[0];
    body.replaceChildren(...rows);
  }

  function row(cells, { header = false, attrs = {} } = {}) {
    const tr = document.createElement('tr');
    cells.forEach((text, index) => {
      const cell = document.createElement(header && index === 0 ? 'th' : 'td');
      if (header && index === 0) cell.scope = 'row';
      cell.textContent = text;
      tr.append(cell);
    });
    for (const [name, value] of Object.entries(attrs)) tr.setAttribute(name, value);
    return tr;
  }

  function emptyRow(columns, text) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = columns;
    td.className = 'muted';
    td.textContent = text;
    tr.append(td);
    return tr;
  }

  // ---- charts --------------------------------------------------------------------------------

  function axisTitle(text) {
    return { display: true, text, font: { weight: '600' } };
  }

  function makeCharts() {
    const { Chart } = window;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = '#334155';
    Chart.defaults.borderColor = '#e2e8f0';
    Chart.defaults.animation = false; // live data: redraw at once, no motion
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.responsive = true;
    Chart.defaults.plugins.legend.labels.boxWidth = 12;

    const now = new Chart($('chart-now'), {
      type: 'line',
      data: {
        datasets: [{
          key: 'power', label: 'Power, kW', data: [], borderColor: COLOURS.normal,
          backgroundColor: 'rgba(37, 99, 235, 0.12)', fill: true, pointRadius: 0, tension: 0.2,
        }],
      },
      options: {
        parsing: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { type: 'linear', title: axisTitle(t('axis_now')), ticks: { callback: clockOf, maxTicksLimit: 6 } },
          y: { title: axisTitle('kW'), beginAtZero: true },
        },
      },
    });

    const demand = new Chart($('chart-demand'), {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        plugins: {
          tooltip: { callbacks: { label: demandTooltip } },
        },
        scales: {
          x: { title: axisTitle(t('axis_half_hour')), ticks: { maxTicksLimit: 13 } },
          y: { title: axisTitle('kW'), beginAtZero: true },
        },
      },
    });

    const energy = new Chart($('chart-energy'), {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        plugins: {
          tooltip: {
            callbacks: { label: (item) => `${item.dataset.label}: ${number(item.parsed.y, 'kWh')}` },
          },
        },
        scales: {
          x: { title: axisTitle(t('axis_day')), ticks: { callback: dayTick } },
          y: { title: axisTitle('kWh'), beginAtZero: true },
        },
      },
    });

    const pf = new Chart($('chart-pf'), {
      data: { labels: [], datasets: [] },
      options: {
        scales: {
          x: { title: axisTitle(t('axis_day')), ticks: { callback: dayTick } },
          pf: { position: 'left', min: 0, max: 1, title: axisTitle(t('axis_pf')) },
          kvarh: {
            position: 'right', beginAtZero: true, title: axisTitle(t('axis_kvarh')),
            grid: { drawOnChartArea: false },
          },
        },
      },
    });
    return { now, demand, energy, pf };
  }

  // A category axis gives the tick's index; show the day of the month (the tooltip has the date).
  function dayTick(value) {
    const label = this.getLabelForValue(value);
    return label ? label.slice(8, 10) : '';
  }

  // A provisional bar says so: it stands until the meter's own demand (C3) is stored.
  function demandTooltip(item) {
    const provisional = item.dataset.key !== 'forecast' && (item.chart.data.provisional || [])[item.dataIndex];
    return `${item.dataset.label}: ${kw(item.parsed.y)}${provisional ? ` (${t('provisional_kw')})` : ''}`;
  }

  // Axis titles follow the language; the charts are made once.
  function retitleCharts() {
    charts.now.options.scales.x.title = axisTitle(t('axis_now'));
    charts.demand.options.scales.x.title = axisTitle(t('axis_half_hour'));
    charts.energy.options.scales.x.title = axisTitle(t('axis_day'));
    charts.pf.options.scales.x.title = axisTitle(t('axis_day'));
    charts.pf.options.scales.pf.title = axisTitle(t('axis_pf'));
    charts.pf.options.scales.kvarh.title = axisTitle(t('axis_kvarh'));
    for (const chart of Object.values(charts)) chart.update();
  }

  function showEmpty(id, empty) {
    $(`${id}-empty`).hidden = !empty;
  }

  // ---- Now -----------------------------------------------------------------------------------

  function showNow(now) {
    setText('now-power', now.power_w === null ? '–' : kw(now.power_w / 1000));
    setText('now-current-r', number(now.current_r_a, 'A'));
    setText('now-current-t', number(now.current_t_a, 'A'));
    setText('now-at', dateTime(now.at));
    if (now.link) showLink(now.link);
    if (now.at === null || now.power_w === null) return;
    state.nowPoints.set(toMs(now.at), now.power_w / 1000);
    drawNow();
  }

  // The store holds the last minutes: the chart starts with them, not empty.
  async function loadRecentPower() {
    const recent = await getJson('/api/power', { minutes: NOW_MINUTES });
    for (const point of recent.points) state.nowPoints.set(toMs(point.at), point.power_w / 1000);
    drawNow();
  }

  function drawNow() {
    if (!state.nowPoints.size) return;
    const latest = Math.max(...state.nowPoints.keys());
    for (const key of state.nowPoints.keys()) {
      if (key < latest - NOW_WINDOW_MS) state.nowPoints.delete(key);
    }
    const points = [...state.nowPoints].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }));
    const chart = charts.now;
    chart.data.datasets[0].data = points;
    chart.options.scales.x.min = latest - NOW_WINDOW_MS;
    chart.options.scales.x.max = latest;
    chart.update();
    showEmpty('chart-now', points.length === 0);
  }

  function showLink(link) {
    state.link = link;
    const badge = $('link-state');
    badge.dataset.state = link.state;
    setText('link-state', t(`state_${link.state}`));
    const parts = [];
    if (link.last_answer_at) parts.push(t('last_reading', { at: dateTime(link.last_answer_at) }));
    if (link.last_notification_at) parts.push(t('last_notification', { at: dateTime(link.last_notification_at) }));
    setText('link-detail', parts.join(' · '));
  }

  // ---- Forecast ------------------------------------------------------------------------------

  function showForecast(forecast) {
    state.forecast = forecast;
    const box = $('forecast');
    const level = forecast ? forecast.level : 'unknown';
    box.dataset.level = level;
    if (!forecast) {
      setText('forecast-value', '–');
      setText('forecast-band', '');
      setText('forecast-level', t('no_forecast'));
      for (const id of ['forecast-period', 'forecast-left', 'forecast-energy']) setText(id, '–');
      return;
    }
    setText('forecast-value', kw(forecast.forecast_kw));
    setText('forecast-band', t('band', { low: kw(forecast.low_kw), high: kw(forecast.high_kw) }));
    setText('forecast-level', t(`level_${level}`));
    setText('forecast-period', `${hhmm(forecast.period_start)}–${hhmm(forecast.period_end)}`);
    const left = Math.max(0, Math.round((toMs(forecast.period_end) - toMs(forecast.at)) / 1000));
    setText('forecast-left', t('left', { min: Math.floor(left / 60), s: pad(left % 60), at: hhmmss(forecast.at) }));
    setText('forecast-energy', number(forecast.energy_kwh, 'kWh', TWO));
    showLevels(forecast);
    if (forecast.period_start !== state.periodStart) {
      const first = state.periodStart === null;
      state.periodStart = forecast.period_start;
      if (!first) halfHourClosed();
    } else {
      markForecastSlot(forecast);
      if (closedSlotMissing(forecast) && Date.now() - state.demandLoadedAt > DEMAND_RETRY_MS) {
        refresh(loadDemand);
      }
    }
  }

  // The half-hour that just closed is notified 1 to 299 s after it [AIF 3.2.1], or fetched at
  // :05/:35 [AIF 3.3.1]: until its bar is there and confirmed (not provisional), today's
  // demand is read again.
  function closedSlotMissing(forecast) {
    if (!state.followToday) return false;
    const slot = (charts.demand.data.slotEnds || []).indexOf(forecast.period_start);
    const normal = charts.demand.data.datasets.find((d) => d.key === 'normal');
    if (slot < 0 || normal === undefined) return false;
    return normal.data[slot] === null || (charts.demand.data.provisional || [])[slot] === true;
  }

  function showLevels(levels) {
    setText('forecast-target', levels.target_kw === null ? t('not_set') : kw(levels.target_kw));
    setText('forecast-warning', kw(levels.warning_kw));
    setText('forecast-alarm', kw(levels.alarm_kw));
  }

  // The forecast also stands in today's demand chart, in the slot it will fill.
  function markForecastSlot(forecast) {
    const dataset = charts.demand.data.datasets.find((d) => d.key === 'forecast');
    if (!dataset) return;
    const slot = charts.demand.data.slotEnds.indexOf(forecast.period_end);
    dataset.data = dataset.data.map(() => null);
    if (slot >= 0) dataset.data[slot] = forecast.forecast_kw;
    dataset.backgroundColor = `${COLOURS.level[forecast.level] || COLOURS.level.unknown}55`;
    charts.demand.update();
  }

  // ---- Demand --------------------------------------------------------------------------------

  async function loadDemand() {
    const query = state.followToday ? {} : { date: $('demand-date').value };
    state.demandLoadedAt = Date.now();
    const demand = await getJson('/api/demand', query);
    if (state.followToday) {
      state.today = demand.date;
      $('demand-date').value = demand.date;
      $('demand-date').max = demand.date;
    }
    const chart = charts.demand;
    chart.data.labels = demand.slots.map((slot) => (slot.end.slice(11, 16) === '00:00' ? '24:00' : hhmm(slot.end)));
    chart.data.slotEnds = demand.slots.map((slot) => slot.end);
    chart.data.provisional = demand.slots.map((slot) => slot.provisional === true);
    // A provisional bar is pale with a solid edge until the meter's C3 confirms it.
    const bars = (colour) => ({
      backgroundColor: chart.data.provisional.map((p) => (p ? `${colour}44` : colour)),
      borderColor: colour,
      borderWidth: chart.data.provisional.map((p) => (p ? 2 : 0)),
    });
    const datasets = [{
      key: 'normal', label: t('imported_kw'), data: demand.slots.map((s) => s.normal_kw),
      ...bars(COLOURS.normal), order: 2,
    }];
    if (demand.has_reverse) {
      datasets.push({
        key: 'reverse', label: t('exported_kw'), data: demand.slots.map((s) => s.reverse_kw),
        ...bars(COLOURS.reverse), order: 2,
      });
    }
    if (demand.target_kw !== null) {
      datasets.push({
        key: 'target', type: 'line', label: t('target_line', { kw: kw(demand.target_kw) }),
        data: demand.slots.map(() => demand.target_kw), borderColor: COLOURS.target,
        borderDash: [6, 4], borderWidth: 2, pointRadius: 0, order: 1,
      });
    }
    if (demand.forecast && demand.date === state.today) {
      datasets.push({
        key: 'forecast', label: t('forecast_now'), data: demand.slots.map(() => null),
        grouped: false, order: 3, backgroundColor: COLOURS.level.unknown,
      });
    }
    chart.data.datasets = datasets;
    chart.update();
    if (state.control) markActions();
    if (demand.forecast && demand.date === state.today) markForecastSlot(demand.forecast);
    showEmpty('chart-demand', demand.slots.every((s) => s.normal_kw === null && s.reverse_kw === null));
    showLevels(demand);
    showMonthMax(demand.month_max);
  }

  function showMonthMax(max) {
    if (!max || max.normal_kw === null) {
      setText('month-max', t('not_read'));
      return;
    }
    const when = max.at ? t('month_max_at', { day: max.at.slice(0, 10), at: hhmm(max.at) }) : '';
    const reverse = max.reverse_kw ? t('month_max_exported', { kw: kw(max.reverse_kw) }) : '';
    setText('month-max', `${kw(max.normal_kw)}${when}${reverse}${t('month_max_from', { start: max.month_start })}`);
  }

  // ---- Energy --------------------------------------------------------------------------------

  async function loadEnergy() {
    const energy = await getJson('/api/energy');
    const { days } = energy;
    const faded = (colour) => days.map((day) => (day.complete ? colour : `${colour}66`));
    const labels = days.map((day) => day.date);
    const chart = charts.energy;
    chart.data.labels = labels;
    chart.data.datasets = [
      { key: 'imported', label: t('imported_kwh'), data: days.map((d) => d.imported_kwh), backgroundColor: faded(COLOURS.normal) },
      { key: 'exported', label: t('exported_kwh'), data: days.map((d) => d.exported_kwh), backgroundColor: faded(COLOURS.reverse) },
    ];
    chart.update();
    showEmpty('chart-energy', days.every((d) => d.imported_kwh === null && d.exported_kwh === null));

    const pf = charts.pf;
    pf.data.labels = labels;
    pf.data.datasets = [
      {
        key: 'power_factor', type: 'line', label: t('power_factor'), yAxisID: 'pf', order: 1,
        data: days.map((d) => d.power_factor), borderColor: COLOURS.pf, backgroundColor: COLOURS.pf,
        pointRadius: 3, spanGaps: false,
      },
      {
        key: 'reactive', type: 'bar', label: t('reactive_kvarh'), yAxisID: 'kvarh', order: 2,
        data: days.map((d) => d.reactive_kvarh), backgroundColor: faded(COLOURS.reactive),
      },
    ];
    pf.update();
    showEmpty('chart-pf', days.every((d) => d.power_factor === null && d.reactive_kvarh === null));

    // A month the range cuts, or with half-hours missing, is marked: its sum is no monthly total.
    const months = energy.months.slice().reverse().map((month) => {
      const days = t('month_days', { days: month.days, total: month.days_in_month });
      const tr = row([
        month.month, number(month.imported_kwh, ''), number(month.exported_kwh, ''),
        month.complete ? days : `${days} · ${t('partial')}`,
      ], { header: true, attrs: { 'data-month': month.month, 'data-complete': String(month.complete) } });
      if (!month.complete) tr.classList.add('partial');
      return tr;
    });
    fillRows($('energy-months'), months.length ? months : [emptyRow(4, t('no_data'))]);
  }

  // ---- Health --------------------------------------------------------------------------------

  async function loadHealth() {
    const health = await getJson('/api/health');
    const id = health.meter;
    const units = id.units || {};
    const digits = id.digits || {};
    fillRows($('health-meter'), [
      [t('h_address'), id.address],
      [t('h_maker'), id.maker_code || '–'],
      [t('h_production'), id.production_number || '–'],
      [t('h_route_b'), id.route_b_id || '–'],
      [t('h_release'), id.release || '–'],
      [t('h_coefficient'), `${id.coefficient ?? '–'} × ${id.multiplier ?? '–'}`],
      [t('h_energy_unit'), `${units.energy || '–'}, ${digits.energy ?? '–'}`],
      [t('h_demand_unit'), `${units.demand || '–'}, ${digits.demand ?? '–'}`],
      [t('h_reactive_unit'), units.reactive ? `${units.reactive}, ${digits.reactive ?? '–'}` : t('absent')],
      [t('h_fixed_date'), id.fixed_date ?? '–'],
      [t('h_absent'), (id.absent || []).join(' ') || t('none')],
    ].map((cells) => row(cells.map(String), { header: true })));

    showLink(health.link);
    const since = health.link.since ? t('since', { at: dateTime(health.link.since) }) : '';
    fillRows($('health-link'), [
      [t('h_state'), `${t(`state_${health.link.state}`)}${since}`],
      [t('h_last_reading'), dateTime(health.link.last_answer_at)],
      [t('h_last_notification'), dateTime(health.link.last_notification_at)],
      [t('h_missing'), String(health.missing_half_hours)],
      [t('h_recovered'), t('half_hours', { n: health.recovered_half_hours })],
      [t('h_store'), health.store.ok ? t('store_ok')
        : t(health.store.writable ? 'store_low' : 'store_read_only', { mb: Math.floor(health.store.free_bytes / 1048576) })],
    ].map((cells) => row(cells, { header: true })));

    const r = health.requests;
    fillRows($('health-requests'), [
      [t('r_sent'), r.sent], [t('r_answered'), r.answered], [t('r_refused'), r.refused],
      [t('r_timed_out'), r.timed_out], [t('r_late'), r.late_discarded],
      [t('r_foreign'), r.foreign_dropped],
    ].map((cells) => row(cells.map(String), { header: true })));

    const gaps = health.gaps;
    const gapRows = gaps.recent.map((gap) => row([gap.series, dateTime(gap.start), dateTime(gap.end), gap.status]));
    const summary = t('gaps_summary', gaps);
    fillRows($('health-gaps'), [emptyRow(4, summary), ...gapRows]);

    const faultRows = health.faults.map((fault) => {
      const attrs = { 'data-start': fault.start };
      if (fault.end) attrs['data-end'] = fault.end;
      return row([dateTime(fault.start), fault.end ? dateTime(fault.end) : t('ongoing')], { attrs });
    });
    fillRows($('health-faults'), faultRows.length ? faultRows : [emptyRow(2, t('no_faults'))]);
  }

  // ---- Appliances ----------------------------------------------------------------------------

  async function loadAppliances() {
    const { appliances } = await getJson('/api/appliances');
    const rows = appliances.map((a) => {
      const operation = !a.reachable ? t('unreachable') : a.operating === null ? '–' : t(a.operating ? 'on' : 'off');
      return row([
        a.class, a.eoj, a.address, operation, a.power_w === null ? '–' : String(a.power_w), dateTime(a.at),
      ], { header: true, attrs: { 'data-eoj': a.eoj, 'data-key': a.key, 'data-reachable': String(a.reachable) } });
    });
    fillRows($('appliances'), rows.length ? rows : [emptyRow(6, t('no_appliances'))]);
  }

  // ---- Demand control --------------------------------------------------------------------------

  async function loadControl() {
    const control = await getJson('/api/control');
    state.control = control;
    if (!control.enabled) {
      setText('control-summary', t('control_off'));
      fillRows($('control'), []);
    } else {
      const dr = control.dr_event;
      const event = !dr ? '' : t(dr.active ? 'dr_active' : 'dr_next', {
        kw: dr.target_kw === null ? '–' : kw(dr.target_kw), start: hhmm(dr.start), end: hhmm(dr.end),
        opt: t(dr.opt === 'optIn' ? 'dr_in' : 'dr_out'),
      });
      setText('control-summary', t('control_summary', { kw: kw(control.target_kw), step: control.step }) + event);
      $('control-summary').dataset.dr = dr ? (dr.active ? 'active' : 'coming') : 'none';
      fillRows($('control'), control.appliances.map(controlRow));
    }
    markActions();
  }

  function controlRow(a) {
    const status = !a.reachable ? t('c_unreachable') : a.paused ? t('c_paused') : t(a.shed ? 'c_shed' : 'c_normal');
    const last = a.last ? `${hhmm(a.last.at)} ${a.last.kind} (${t(`outcome_${a.last.outcome}`)}): ${a.last.reason}` : '–';
    const tr = row([a.name, a.action, status, a.power_w === null ? '–' : String(a.power_w), last], {
      header: true,
      attrs: { 'data-name': a.name, 'data-shed': String(a.shed), 'data-paused': String(a.paused) },
    });
    const cell = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = t(a.paused ? 'c_resume' : 'c_pause');
    button.addEventListener('click', () => override(a.name, !a.paused));
    cell.append(button);
    tr.append(cell);
    return tr;
  }

  async function override(name, paused) {
    const response = await fetch(apiUrl('/api/control/override'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ appliance: name, paused }),
    });
    if (!response.ok) {
      failed(new ApiError(response.status, await response.json().catch(() => ({}))));
      return;
    }
    refresh(loadControl);
  }

  // Each decision stands on the demand chart in the half-hour it was made in, at the
  // projection that caused it: a timeline of control beside the demand it shaped.
  function markActions() {
    const chart = charts.demand;
    const ends = chart.data.slotEnds || [];
    chart.data.datasets = chart.data.datasets.filter((d) => d.key !== 'actions');
    const actions = (state.control && state.control.actions) || [];
    if (!ends.length || !actions.length) {
      chart.update();
      return;
    }
    const data = ends.map(() => null);
    const styles = ends.map(() => 'triangle');
    for (const action of actions) {
      const slot = ends.findIndex((end) => end > action.at);
      if (slot < 0 || action.projected_kw === null) continue;
      data[slot] = action.projected_kw;
      styles[slot] = action.kind === 'shed' ? 'triangle' : 'rectRot';
    }
    chart.data.datasets.push({
      key: 'actions', type: 'line', label: t('control_marks'), data, showLine: false,
      pointStyle: styles, pointRadius: 6, borderColor: COLOURS.target, backgroundColor: COLOURS.target, order: 0,
    });
    chart.update();
  }

  // ---- Export --------------------------------------------------------------------------------

  function updateExportLink() {
    const from = $('export-from').value;
    const to = $('export-to').value;
    const quantities = [...$('export-quantity').querySelectorAll('input:checked')].map((box) => box.value);
    const link = $('export-download');
    let problem = '';
    if (!from || !to) problem = t('choose_times');
    else if (from >= to) problem = t('from_before_to');
    else if (!quantities.length) problem = t('choose_quantity');
    if (problem) {
      link.removeAttribute('href');
      link.setAttribute('aria-disabled', 'true');
    } else {
      link.href = apiUrl('/api/export.csv', { from, to, quantity: quantities });
      link.removeAttribute('aria-disabled');
    }
    setText('export-note', problem);
  }

  function defaultExportRange() {
    if ($('export-from').value || !state.today) return;
    $('export-from').value = `${addDays(state.today, -1)}T00:00`;
    $('export-to').value = `${state.today}T00:00`;
    updateExportLink();
  }

  // ---- putting it together -------------------------------------------------------------------

  async function loadMeters() {
    const { meters } = await getJson('/api/meters');
    if (!meters.length) throw new ApiError(404, { error: 'no meter stored yet', waiting: true });
    const select = $('meter-select');
    const newest = meters.slice().sort((a, b) => (a.last_seen < b.last_seen ? 1 : -1))[0];
    if (state.meter === null || !meters.some((m) => m.key === state.meter)) state.meter = newest.key;
    select.replaceChildren(...meters.map((meter) => new Option(meter.address, meter.key, false, meter.key === state.meter)));
    select.disabled = meters.length < 2;
  }

  async function loadAll() {
    try {
      await loadMeters();
      await Promise.all([
        getJson('/api/now').then(showNow), loadRecentPower(), loadDemand(), loadEnergy(),
        loadHealth(), loadAppliances(),
      ]);
      await loadControl(); // after the demand chart, whose slots its marks stand in
      defaultExportRange();
      document.body.dataset.loaded = 'true'; // every panel has had its first answer
      banner('');
      connectStream();
    } catch (error) {
      failed(error);
      if (error instanceof ApiError && error.waiting) setTimeout(loadAll, WAITING_RETRY_MS);
    }
  }

  function failed(error) {
    if (error instanceof ApiError && error.waiting) banner(t('banner_waiting'));
    else if (error instanceof ApiError && error.status === 401) banner(t('banner_token'));
    else banner(t('banner_failed', { message: error.message }));
  }

  function refresh(...loaders) {
    Promise.all(loaders.map((load) => load())).catch(failed);
  }

  function halfHourClosed() {
    if (state.followToday) refresh(loadDemand, loadEnergy, loadHealth);
    else refresh(loadEnergy, loadHealth);
  }

  function connectStream() {
    if (state.stream) state.stream.close();
    const stream = new EventSource(apiUrl('/api/stream'));
    const json = (handler) => (event) => handler(JSON.parse(event.data));
    stream.addEventListener('now', json(showNow));
    stream.addEventListener('forecast', json(showForecast));
    stream.addEventListener('health', json((link) => {
      showLink(link);
      refresh(loadHealth);
    }));
    stream.addEventListener('open', () => banner(''));
    stream.addEventListener('error', () => banner(t('banner_reconnecting')));
    state.stream = stream;
  }

  function wireControls() {
    $('demand-date').addEventListener('change', (event) => {
      state.followToday = !event.target.value || event.target.value === state.today;
      if (!event.target.value) event.target.value = state.today;
      refresh(loadDemand);
    });
    $('meter-select').addEventListener('change', (event) => {
      state.meter = event.target.value;
      state.followToday = true;
      state.periodStart = null;
      state.nowPoints.clear();
      loadAll();
    });
    $('export-form').addEventListener('input', updateExportLink);
    $('export-form').addEventListener('submit', (event) => event.preventDefault());
    setInterval(() => {
      if (state.today === null) return;
      refresh(loadHealth, loadAppliances, loadControl, ...(state.followToday ? [loadDemand] : []));
    }, REFRESH_MS);
    for (const button of document.querySelectorAll('#lang-switch button')) {
      button.addEventListener('click', () => setLanguage(button.dataset.lang));
    }
  }

  // Everything drawn with words is drawn again in the other language; the data stays.
  function setLanguage(chosen) {
    lang = chosen;
    try { localStorage.setItem(LANG_KEY, chosen); } catch { /* private mode: this page only */ }
    applyLanguage();
    retitleCharts();
    updateExportLink();
    if (state.link) showLink(state.link);
    showForecast(state.forecast);
    if (state.today !== null) refresh(loadDemand, loadEnergy, loadHealth, loadAppliances, loadControl);
  }

  applyLanguage();
  if (!window.Chart) {
    banner(t('banner_no_chart'));
    return;
  }
  const charts = makeCharts();
  window.hemsnet = { charts };
  wireControls();
  updateExportLink();
  $('metrics-link').href = apiUrl('/metrics'); // the token, when the page has one
  loadAll();
})();
