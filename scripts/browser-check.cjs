// Opens one review page (a file path) in headless chromium through Playwright and prints what a
// reviewer sees, as JSON. Run by scripts/browser-test.sh; the assertions are in
// tests/audit_review.rs.
const { chromium } = require('playwright-core');
const path = require('path');

(async () => {
  const page_path = path.resolve(process.argv[2]);
  const context = await chromium.launchPersistentContext(process.env.PROFILE, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = await context.newPage();
  const dialogs = [];
  const requests = [];
  const console_errors = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  page.on('request', (request) => { if (!request.url().startsWith('file:')) requests.push(request.url()); });
  page.on('console', (message) => { if (message.type() === 'error') console_errors.push(message.text()); });
  await page.goto('file://' + page_path);
  await page.waitForLoadState('load');
  const shown = await page.evaluate(() => {
    const text = (selector) => Array.from(document.querySelectorAll(selector)).map((node) => node.textContent);
    const visible = (selector) => Array.from(document.querySelectorAll(selector))
      .filter((node) => node.offsetParent !== null).length;
    return {
      title: document.title,
      verify: document.getElementById('verify').textContent,
      verify_class: document.getElementById('verify').className,
      runs: text('section.run h2'),
      personas: text('section.run h3'),
      approvals: Array.from(document.querySelectorAll('li.approved')).map((node) => ({
        who: node.querySelector('.who') && node.querySelector('.who').textContent,
        note: node.querySelector('q.note') && node.querySelector('q.note').textContent,
        when: node.querySelector('time') && node.querySelector('time').getAttribute('datetime'),
      })),
      rejections: Array.from(document.querySelectorAll('li.rejected')).map((node) => ({
        who: node.querySelector('.who') && node.querySelector('.who').textContent,
        reason: node.querySelector('q.reason') && node.querySelector('q.reason').textContent,
      })),
      denials: text('li.denied'),
      denial_background: Array.from(document.querySelectorAll('li.denied'))
        .map((node) => getComputedStyle(node).backgroundColor),
      diff_added: text('pre.diff span.add'),
      diff_paths: text('li.diff code.path'),
      entries_visible: visible('li.entry'),
      injected: window.injected === undefined ? null : window.injected,
      script_elements: document.querySelectorAll('script').length,
      img_elements: document.querySelectorAll('img').length,
      hostile_text_shown: document.body.textContent.includes('<script>window.injected=1</script>'),
    };
  });
  // The page's own script: the checkbox hides everything but decisions and diffs.
  await page.check('#only-decisions');
  shown.entries_visible_decisions_only = await page.evaluate(() => Array.from(document.querySelectorAll('li.entry'))
    .filter((node) => node.offsetParent !== null).length);
  shown.injected_after = await page.evaluate(() => (window.injected === undefined ? null : window.injected));
  shown.dialogs = dialogs;
  shown.network_requests = requests;
  shown.console_errors = console_errors;
  await context.close();
  process.stdout.write(JSON.stringify(shown) + '\n');
})().catch((error) => {
  process.stderr.write('browser-check: ' + (error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
