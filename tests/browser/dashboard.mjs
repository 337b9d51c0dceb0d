// Browser test of the live dashboard: starts a gateway whose bounded virtual-clock run produces
// aggregates and alerts at once and which then stays up (its file sink is blocked by a regular
// file), loads http://…/ in Debian's headless Chromium and waits until the sales chart has
// points, the store-share chart is drawn, an alert row is shown and an alerting device is
// highlighted on the map, and that the alerts are above the fold at 1400x1000; saves a screenshot. Exit 0 on success, nonzero on any failure.
//
//   node tests/browser/dashboard.mjs <path to iot-gateway> [chromium]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const gatewayBin = process.argv[2] && path.resolve(process.argv[2]);
const chromiumBin = process.argv[3] || process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_MS = 60_000;

function fail(message) {
  console.error('dashboard test FAILED: ' + message);
  process.exitCode = 1;
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('playwright-core is missing: run `npm ci --prefix tests/browser` (' + e.message + ')');
  process.exit(1);
}
if (!gatewayBin || !fs.existsSync(gatewayBin)) {
  console.error('usage: node dashboard.mjs <iot-gateway binary> [chromium]');
  process.exit(2);
}
if (!fs.existsSync(chromiumBin)) {
  console.error(`${chromiumBin} not found (Debian: apt-get install chromium)`);
  process.exit(1);
}

const dir = path.join(os.tmpdir(), 'iot-gateway-dashboard');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(
  path.join(dir, 'gateway.yaml'),
  `gateway: {id: dashboard-gw, data_dir: ${dir}}
simulator:
  clock: virtual
  duration: 10m
  access: {interval: 1s}
  disruptions: [{store: DEF, radius_m: 60}]
sinks:
  file: {enabled: true, path: out}
  kafka: {enabled: false}
http: {listen: '127.0.0.1:0'}
`,
);
fs.writeFileSync(path.join(dir, 'out'), 'not a folder: the file sink cannot deliver\n');
const logFile = path.join(dir, 'log');
const log = fs.openSync(logFile, 'a');
const gateway = spawn(gatewayBin, ['run', '-c', path.join(dir, 'gateway.yaml')], {
  cwd: dir,
  stdio: ['ignore', 'ignore', log],
});
let gatewayExit = null;
gateway.on('exit', (code, signal) => (gatewayExit = signal || code));
gateway.on('error', (e) => (gatewayExit = e.message));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let browser = null;
try {
  let base = null;
  for (const deadline = Date.now() + TIMEOUT_MS; !base && Date.now() < deadline; await sleep(50)) {
    const m = fs.readFileSync(logFile, 'utf8').match(/http: listening on (127\.0\.0\.1:[0-9]+)/);
    if (m) base = 'http://' + m[1];
    if (gatewayExit !== null) throw new Error(`the gateway exited (${gatewayExit}) before listening`);
  }
  if (!base) throw new Error('the gateway did not log "http: listening on" in time');
  console.log('gateway at ' + base);

  browser = await chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: TIMEOUT_MS,
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push('console error: ' + m.text()));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} for ${r.url()}`));
  // Self-contained: nothing but the gateway may be asked for anything.
  page.on('request', (r) => {
    if (!r.url().startsWith(base + '/')) problems.push('request outside the gateway: ' + r.url());
  });

  const response = await page.goto(base + '/', { timeout: TIMEOUT_MS });
  if (!response || response.status() !== 200) throw new Error('GET / answered ' + response?.status());
  if (!(response.headers()['content-type'] || '').startsWith('text/html'))
    throw new Error('GET / is not text/html: ' + response.headers()['content-type']);

  try {
    await page.waitForFunction(
      () => {
        const s = window.dashboardState;
        return (
          s &&
          typeof window.Chart === 'function' &&
          s.salesPoints > 0 &&
          s.shareDrawn &&
          s.shareSlices > 0 &&
          s.alertRows > 0 &&
          document.querySelectorAll('#alerts tbody tr.alert-row').length > 0 &&
          s.highlightedDevices > 0
        );
      },
      null,
      { timeout: TIMEOUT_MS, polling: 250 },
    );
  } catch (e) {
    const state = await page.evaluate(() => JSON.stringify(window.dashboardState)).catch(() => '?');
    throw new Error('the dashboard did not show its data in time; state ' + state);
  }
  const state = await page.evaluate(() => window.dashboardState);
  console.log('dashboard state: ' + JSON.stringify(state));
  // The sales chart really has drawn points (Chart.js' own view of its datasets).
  const drawnPoints = await page.evaluate(() => {
    const chart = window.Chart.getChart(document.getElementById('sales-chart'));
    return chart ? chart.getSortedVisibleDatasetMetas().reduce((n, m) => n + m.data.length, 0) : 0;
  });
  if (drawnPoints === 0) throw new Error('the sales chart has no drawn points');
  const sinkState = await page.textContent('#sinks tbody');
  if (!sinkState.includes('file') || !sinkState.includes('retrying'))
    throw new Error('the sink table does not show the blocked file sink: ' + sinkState);
  if (problems.length) throw new Error(problems.join('; '));
  // At 1400x1000 the latest alerts are above the fold, their first rows visible.
  const firstAlert = await page.locator('#alerts tbody tr.alert-row').first().boundingBox();
  if (!firstAlert || firstAlert.y + firstAlert.height > 1000)
    throw new Error('the first alert row is below the fold at 1400x1000: ' + JSON.stringify(firstAlert));

  const shot = path.join(dir, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log('screenshot: ' + shot);
} catch (e) {
  fail(e && e.message ? e.message : String(e));
  console.error('gateway log: ' + logFile);
} finally {
  if (browser) await browser.close().catch(() => {});
  // The first SIGTERM drains (the sink stays blocked), the second stops the gateway at once.
  for (const signal of ['SIGTERM', 'SIGTERM', 'SIGKILL']) {
    if (gatewayExit !== null) break;
    gateway.kill(signal);
    for (let i = 0; i < 40 && gatewayExit === null; i++) await sleep(50);
  }
  if (gatewayExit === null) fail('the gateway did not stop');
}
