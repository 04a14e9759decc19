// The interstitial -> approve -> resume flow in headless Chromium, driven
// by t/080-browser.t (which starts nginx and watches the pushes).
//
//   node t/browser/flow.mjs BASE_URL OUT_DIR
//
// BASE_URL  e.g. http://127.0.0.1:8080: the protected place is
//           BASE_URL/admin/?u=USER (page mode, self-approval: a code)
// OUT_DIR   screenshots go here; the approve path of each scenario is
//           handed over by the test as the file OUT_DIR/approve-USER
//           (written once the push for USER arrived; polled for here)
//
// Two browser contexts: A, the requester (desktop), and B, the approver
// (a phone: 390x844, isMobile, hasTouch).  Scenarios:
//   approve (user alice): A sees the 202 interstitial with a code, B types
//     the code and approves, A's page reloads itself into the content.
//   deny (user bob): B denies, A's page shows "denied" and stays put.
// Each page is watched for console errors, uncaught exceptions and CSP
// violations.
//
// Output: one line per check, "ok - what" or "not ok - what: why", and
// "# ..." notes; the .t file turns them into its own tests.  Exit status 0
// only when every check passed.  Uses Debian's /usr/bin/chromium (or
// $CHROMIUM); playwright-core downloads no browser.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
    console.error('usage: node flow.mjs BASE_URL OUT_DIR');
    process.exit(2);
}

const MARKER = 'PA-BROWSER-MARKER secret admin content';
const HANDOFF_TIMEOUT = 10000;   // the test writes approve-USER within this
const RELOAD_TIMEOUT = 10000;    // approval -> content on the requester page
const STEP_TIMEOUT = 10000;      // any single navigation / wait

let failed = 0;
function ok(cond, what, why) {
    if (cond) {
        console.log(`ok - ${what}`);
    } else {
        failed++;
        console.log(`not ok - ${what}${why ? ': ' + String(why).replace(/\s+/g, ' ') : ''}`);
    }
    return !!cond;
}
function note(s) {
    for (const l of String(s).split('\n')) console.log(`# ${l}`);
}

// waits for OUT_DIR/approve-USER, returns its content (a path)
async function handoff(user) {
    const file = path.join(outDir, `approve-${user}`);
    const end = Date.now() + HANDOFF_TIMEOUT;
    while (Date.now() < end) {
        try {
            const s = fs.readFileSync(file, 'utf8').trim();
            if (s) return s;
        } catch (e) { /* not yet */ }
        await new Promise(r => setTimeout(r, 50));
    }
    throw new Error(`no approve URL handed over in ${file} within ${HANDOFF_TIMEOUT} ms`);
}

// collects console errors, page errors and CSP violations of a page
function watch(page, label) {
    const w = { label, errors: [], allowed: [] };
    page.on('console', m => {
        if (m.type() !== 'error') return;
        w.errors.push({ kind: 'console', text: m.text(), url: m.location()?.url || '' });
    });
    page.on('pageerror', e => w.errors.push({ kind: 'pageerror', text: String(e), url: '' }));
    return w;
}

// the CSP violations a context's pages saw, reported through a binding
// (bindings and init scripts are not subject to the page's CSP)
async function cspHook(context, sink) {
    await context.exposeBinding('__paCspViolation', (src, v) => sink.push(v));
    await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', e => {
            window.__paCspViolation({
                directive: e.violatedDirective, blocked: e.blockedURI,
                sample: e.sample, doc: e.documentURI,
            });
        });
    });
}

// the page's errors, less the ones a scenario expects (e.g. the wait
// endpoint's 403 after a denial, which Chromium logs as a failed load)
function unexpected(w, allow) {
    return w.errors.filter(e => !(allow && allow(e)));
}

// is the page wider than the viewport (horizontal scrolling on a phone)?
async function overflow(page) {
    return page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
    }));
}

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 30000,
    args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
        '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
    ],
});
note(`chromium ${browser.version()}`);

const desktop = { viewport: { width: 1280, height: 800 } };
const phone = {
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 3,
    isMobile: true, hasTouch: true,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 '
        + '(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
};

async function scenario(name, user, decision) {
    const csp = [];
    const ctxA = await browser.newContext(desktop);
    const ctxB = await browser.newContext(phone);
    await cspHook(ctxA, csp);
    await cspHook(ctxB, csp);
    ctxA.setDefaultTimeout(STEP_TIMEOUT);
    ctxB.setDefaultTimeout(STEP_TIMEOUT);
    const shot = f => path.join(outDir, `${name}-${f}.png`);
    let allowA = null;

    try {
        // --- A: the requester's interstitial
        const a = await ctxA.newPage();
        const wa = watch(a, `${name}/requester`);
        const url = `${base}/admin/?u=${user}`;
        const res = await a.goto(url, { waitUntil: 'load' });
        ok(res && res.status() === 202, `${name}: requester gets the 202 interstitial`,
            res ? `status ${res.status()}` : 'no response');
        const hdrs = res ? await res.allHeaders() : {};
        ok(/^[A-Za-z0-9_-]{22}$/.test(hdrs['push-approval-id'] || ''),
            `${name}: Push-Approval-Id header`, hdrs['push-approval-id']);
        ok(/no-store/.test(hdrs['cache-control'] || ''), `${name}: interstitial not cached`,
            hdrs['cache-control']);
        ok(/script-src/.test(hdrs['content-security-policy'] || '')
            && /frame-ancestors 'none'/.test(hdrs['content-security-policy'] || ''),
            `${name}: interstitial has a CSP`, hdrs['content-security-policy']);

        const code = ((await a.locator('#pa-code').textContent()) || '').trim();
        ok(/^\d{6,8}$/.test(code), `${name}: #pa-code shows the digits alone`, JSON.stringify(code));
        ok(await a.locator('#pa-unlocks').count() === 1, `${name}: #pa-unlocks present`);
        const cd = ((await a.locator('#pa-countdown').textContent()) || '').trim();
        ok(/^\d+$/.test(cd) && +cd > 0, `${name}: #pa-countdown shows seconds left`, JSON.stringify(cd));
        ok(await a.locator('#pa-code').isVisible(), `${name}: the code is visible`);
        await a.screenshot({ path: shot('1-interstitial'), fullPage: true });

        // the countdown runs (the page's script is allowed by its CSP)
        await a.waitForFunction(
            c => +document.getElementById('pa-countdown').textContent < c,
            +cd, { timeout: 3000 }).then(
            () => ok(true, `${name}: the countdown counts down`),
            e => ok(false, `${name}: the countdown counts down`, e.message));

        // count the requester's top-level navigations from here on
        let navs = 0;
        a.on('framenavigated', f => { if (f === a.mainFrame()) navs++; });

        // --- B: the approver's phone
        const approvePath = await handoff(user);
        ok(/^\/_pa\/approve\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/.test(approvePath),
            `${name}: approve URL handed over`, approvePath);
        const b = await ctxB.newPage();
        const wb = watch(b, `${name}/approver`);
        const r2 = await b.goto(base + approvePath, { waitUntil: 'load' });
        ok(r2 && r2.status() === 200, `${name}: approve page loads`, r2 && r2.status());
        const body = (await b.locator('body').innerText()) || '';
        ok(body.includes(user), `${name}: approve page names the user`);
        ok(!new RegExp(`\\b${code}\\b`).test(body), `${name}: approve page does not show the code`);
        const input = b.locator('input[name=code]');
        ok(await input.count() === 1, `${name}: approve page asks for the code`);
        const ov = await overflow(b);
        ok(ov.scroll <= ov.inner, `${name}: approve page fits the phone's width`,
            `scrollWidth ${ov.scroll} > innerWidth ${ov.inner}`);
        const btn = b.locator(`button[name=decision][value=${decision}]`);
        const box = await btn.boundingBox();
        ok(box && box.height >= 40 && box.x >= 0 && box.x + box.width <= phone.viewport.width,
            `${name}: the ${decision} button is a comfortable tap target on the phone`,
            JSON.stringify(box));
        if (box) note(`${name}: ${decision} button at y=${Math.round(box.y)}..${
            Math.round(box.y + box.height)} of a ${phone.viewport.height} px high phone screen`);
        const fs16 = await input.evaluate(e => parseFloat(getComputedStyle(e).fontSize));
        if (fs16 < 16) note(`${name}: code input font-size ${fs16}px (< 16px: iOS zooms in on focus)`);

        if (decision === 'approve') {
            await input.tap();
            await input.fill('');
            await b.keyboard.type(code, { delay: 20 });
        }
        await b.screenshot({ path: shot('2-approve-phone'), fullPage: true });

        const [nav] = await Promise.all([
            b.waitForNavigation({ waitUntil: 'load' }),
            btn.tap(),
        ]);
        const result = ((await b.locator('#pa-result').textContent()) || '').trim();
        const want = decision === 'approve' ? 'approved' : 'denied';
        ok(result.includes(want), `${name}: #pa-result says ${want}`,
            `status ${nav && nav.status()}, #pa-result ${JSON.stringify(result)}`);
        const ov2 = await overflow(b);
        ok(ov2.scroll <= ov2.inner, `${name}: result page fits the phone's width`,
            `scrollWidth ${ov2.scroll} > innerWidth ${ov2.inner}`);
        await b.screenshot({ path: shot('3-result-phone'), fullPage: true });

        // --- A again
        if (decision === 'approve') {
            const t0 = Date.now();
            const seen = await a.getByText(MARKER).first()
                .waitFor({ state: 'visible', timeout: RELOAD_TIMEOUT })
                .then(() => true, e => e);
            ok(seen === true, `${name}: requester page reloads into the content`,
                seen === true ? '' : `${seen.message}; url ${a.url()}; status ${
                    await a.locator('#pa-status').textContent().catch(() => '?')}`);
            if (seen === true) note(`${name}: content shown ${Date.now() - t0} ms after the decision`);
            ok(a.url() === url, `${name}: the requester stays on its own URL`, a.url());
            const cookies = await ctxA.cookies(`${base}/admin/`);
            ok(cookies.some(c => /^pa_[0-9a-f]{8}$/.test(c.name) && c.path === '/admin/'
                && c.httpOnly && c.sameSite === 'Strict'),
                `${name}: the approval cookie is set (HttpOnly, SameSite=Strict, Path=/admin/)`,
                JSON.stringify(cookies.map(c => [c.name, c.path, c.httpOnly, c.sameSite])));
            await a.screenshot({ path: shot('4-content'), fullPage: true });
        } else {
            const st = await a.waitForFunction(
                () => /denied/i.test(document.getElementById('pa-status').textContent),
                null, { timeout: RELOAD_TIMEOUT }).then(() => true, e => e);
            ok(st === true, `${name}: requester page shows the denial in #pa-status`,
                st === true ? '' : `${st.message}; #pa-status ${JSON.stringify(
                    await a.locator('#pa-status').textContent().catch(() => '?'))}`);
            // stays put: give a (wrong) reload the time to happen
            await a.waitForTimeout(1500);
            ok(navs === 0, `${name}: requester page did not navigate`, `${navs} navigations`);
            ok(await a.getByText(MARKER).count() === 0, `${name}: no content shown`);
            ok(!(await ctxA.cookies(`${base}/admin/`)).some(c => /^pa_[0-9a-f]{8}$/.test(c.name)),
                `${name}: no approval cookie`);
            await a.screenshot({ path: shot('4-denied'), fullPage: true });
            // the wait endpoint's 403 is logged by Chromium as a failed load
            allowA = e => e.kind === 'console' && /\/_pa\/wait\//.test(e.url)
                && /status of 403/.test(e.text);
        }

        for (const [w, allow] of [[wa, allowA], [wb, null]]) {
            const bad = unexpected(w, allow);
            ok(bad.length === 0, `${w.label}: no console errors or page errors`,
                bad.map(e => `${e.kind}: ${e.text} (${e.url})`).join(' | '));
            for (const e of w.errors.filter(e => !bad.includes(e))) {
                note(`${w.label}: expected: ${e.text} (${e.url})`);
            }
        }
        ok(csp.length === 0, `${name}: no CSP violations`, JSON.stringify(csp));
    } finally {
        await ctxA.close().catch(() => {});
        await ctxB.close().catch(() => {});
    }
}

const deadline = setTimeout(() => {
    console.log('not ok - the browser flow finished within 60 s');
    process.exit(1);
}, 60000);

try {
    await scenario('approve', 'alice', 'approve');
    await scenario('deny', 'bob', 'deny');
} catch (e) {
    ok(false, 'browser flow ran to the end', e && e.stack || e);
} finally {
    await browser.close().catch(() => {});
    clearTimeout(deadline);
}

note(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
