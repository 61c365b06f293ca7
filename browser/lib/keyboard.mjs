// Keyboard-only use of a page: what has focus, the skip link, and filling in a form with Tab, typing, arrows,
// Space and Enter. Works with JavaScript disabled in the page (playwright evaluates in its own world).

/**
 * Describes the focused element.
 * @returns {Promise<{tag: string, id: string, name: string, type: string, value: string, checked: boolean,
 *   text: string, href: string, inMain: boolean, inForm: boolean, visible: boolean, focusRing: boolean, label: string} | null>}
 */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    const vw = document.documentElement.clientWidth;
    const visible = r.width > 1 && r.height > 1 && r.right > 0 && r.left < vw && cs.visibility !== 'hidden' &&
      !el.closest('[aria-hidden="true"]');
    const focusRing = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
    const label = el.labels && el.labels[0] ? el.labels[0].textContent.replace(/\s+/g, ' ').trim() : '';
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id || '',
      name: el.getAttribute('name') || '',
      type: (el.getAttribute('type') || '').toLowerCase(),
      value: 'value' in el ? String(el.value) : '',
      checked: !!el.checked,
      text: (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60),
      href: el.getAttribute('href') || '',
      inMain: !!el.closest('main'),
      inForm: !!el.closest('form'),
      visible,
      focusRing,
      label: label.slice(0, 60),
    };
  });
}

/** A short name for a focused element, for messages: "input#field-name", "a "Naar de inhoud"". */
export function describe(f) {
  if (!f) return '(nothing: focus on the page itself)';
  if (f.tag === 'a') return `link "${f.text}"`;
  return `${f.tag}${f.type ? `[type=${f.type}]` : ''}${f.id ? `#${f.id}` : ''}${f.name ? `[name=${f.name}]` : ''}`;
}

/**
 * The first Tab on a freshly loaded page must reach a visible skip link to the main content; Enter on it
 * must move focus to the main content, so the next Tab lands inside it.
 * @returns {Promise<string[]>} problems, empty when fine
 */
export async function checkSkipLink(page) {
  await page.keyboard.press('Tab');
  const first = await focused(page);
  if (!first || first.tag !== 'a' || !first.href.startsWith('#')) {
    return [`first Tab reaches ${describe(first)}, not a skip link (<a href="#...">) to the main content`];
  }
  const problems = [];
  if (!first.visible) problems.push(`skip link "${first.text}" has focus but is not visible on screen`);
  if (!first.focusRing) problems.push(`skip link "${first.text}" has no visible focus outline`);
  const targetId = decodeURIComponent(first.href.slice(1));
  const target = await page.evaluate((id) => {
    const t = document.getElementById(id);
    return t ? { tag: t.tagName.toLowerCase(), isMain: t.tagName === 'MAIN' || !!t.closest('main') } : null;
  }, targetId);
  if (!target) return [...problems, `skip link points to #${targetId}, which does not exist`];
  if (!target.isMain) problems.push(`skip link points to #${targetId} (${target.tag}), which is not (in) <main>`);
  await page.keyboard.press('Enter');
  const after = await page.evaluate((id) => {
    const a = document.activeElement;
    const t = document.getElementById(id);
    return { onTarget: !!(a && t && (a === t || t.contains(a))), hash: location.hash };
  }, targetId);
  if (!after.onTarget) {
    problems.push(`Enter on the skip link does not move focus to #${targetId} (give it tabindex="-1")`);
  }
  await page.keyboard.press('Tab');
  const next = await focused(page);
  if (next && !next.inMain) {
    problems.push(`after the skip link, Tab goes to ${describe(next)} outside <main> instead of into the content`);
  }
  return problems;
}

/**
 * Fills in and (optionally) submits a form with the keyboard only: Tab moves on, text is typed, radio
 * buttons are chosen with the arrow keys or Space, checkboxes with Space, and Enter on the submit button sends it.
 * Starts by tabbing from where focus is until it enters the form.
 *
 * @param {import('playwright-core').Page} page
 * @param {object} answers
 * @param {Record<string,string>} [answers.text]   field name -> text to type (fields not named stay empty)
 * @param {Record<string,string|null>} [answers.radio] group name -> value to choose; null or absent: leave as is
 * @param {Record<string,boolean>} [answers.checkbox] field name -> checked?
 * @param {boolean} [answers.submit=true] press Enter on the submit button
 * @param {number} [max=120] at most this many Tab presses
 * @returns {Promise<{problems: string[], stops: string[], submitted: boolean}>} stops: every element focus visited
 */
export async function fillFormByKeyboard(page, { text = {}, radio = {}, checkbox = {}, submit = true } = {}, max = 120) {
  const problems = [];
  const stops = [];
  const done = new Set();
  let inForm = false;
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (!f) continue;
    if (!f.inForm) {
      if (inForm) {
        problems.push(`Tab left the form (to ${describe(f)}) before reaching its submit button`);
        return { problems, stops, submitted: false };
      }
      continue;
    }
    inForm = true;
    stops.push(describe(f));
    if (!f.visible) problems.push(`Tab reaches ${describe(f)}, which is not visible (hidden fields need tabindex="-1")`);
    else if (!f.focusRing) problems.push(`${describe(f)} has no visible focus outline`);

    if ((f.tag === 'input' && ['text', 'email', 'tel', 'search', 'url', 'number', ''].includes(f.type)) || f.tag === 'textarea') {
      if (f.name in text && !done.has(f.name)) {
        await page.keyboard.press('ControlOrMeta+A');
        await page.keyboard.press('Delete');
        await page.keyboard.type(text[f.name]);
        done.add(f.name);
      }
    } else if (f.tag === 'input' && f.type === 'radio') {
      const want = radio[f.name];
      if (want != null && !done.has(f.name)) {
        // Arrow keys move within the group and select; Space selects the focused button.
        let cur = f;
        for (let k = 0; k < 20 && cur.value !== want; k += 1) {
          await page.keyboard.press('ArrowDown');
          cur = await focused(page);
        }
        if (cur.value !== want) problems.push(`arrow keys in radio group "${f.name}" never reach value "${want}"`);
        else if (!cur.checked) await page.keyboard.press('Space');
        const now = await focused(page);
        if (!now.checked) problems.push(`radio "${f.name}" = "${want}" is not selected after arrow keys/Space`);
        done.add(f.name);
      }
    } else if (f.tag === 'input' && f.type === 'checkbox') {
      if (f.name in checkbox && !done.has(f.name)) {
        if (f.checked !== checkbox[f.name]) await page.keyboard.press('Space');
        const now = await focused(page);
        if (now.checked !== checkbox[f.name]) problems.push(`Space does not toggle checkbox "${f.name}"`);
        done.add(f.name);
      }
    } else if ((f.tag === 'button' && (f.type === 'submit' || f.type === '')) || (f.tag === 'input' && f.type === 'submit')) {
      for (const name of [...Object.keys(text), ...Object.keys(checkbox), ...Object.entries(radio).filter(([, v]) => v != null).map(([k]) => k)]) {
        if (!done.has(name)) problems.push(`field "${name}" was never reached with Tab before the submit button`);
      }
      if (submit) {
        await Promise.all([page.waitForNavigation({ timeout: 10000 }).catch(() => {}), page.keyboard.press('Enter')]);
      }
      return { problems, stops, submitted: submit };
    }
  }
  problems.push(`no submit button reached within ${max} Tab presses${inForm ? '' : ' (focus never entered a form)'}`);
  return { problems, stops, submitted: false };
}
