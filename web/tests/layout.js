// What a reader of a phone-width page would see wrong in its tables,
// measured on the element boxes the browser laid out.

/**
 * What is wrong with the layout of the tables under `selector` at this
 * width: a table or its scroll box wider than its box, text of one cell
 * drawn over another's, text outside its cell.
 */
export function layoutProblems(page, selector) {
  return page.evaluate((selector) => {
    const problems = [];
    const tables = [...document.querySelectorAll(selector)];
    // Nothing measured is not a layout without problems.
    if (!tables.length) problems.push(`no table matches ${selector}`);
    for (const table of tables) {
      for (const box of [table, table.closest('.scroll')].filter(Boolean)) {
        if (box.scrollWidth > box.clientWidth + 1) problems.push(`${box.className || 'table'} scrolls sideways by ${box.scrollWidth - box.clientWidth}px`);
      }
      for (const row of [...table.querySelectorAll('tbody tr, tfoot tr')].slice(0, 12)) {
        const texts = [];
        for (const cell of row.querySelectorAll('td, th')) {
          const bounds = cell.getBoundingClientRect();
          const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const node = walker.currentNode;
            // Text not drawn (a closed <details>, visually hidden) is not seen.
            if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden') || !node.parentElement.checkVisibility()) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            // What shows of the text: inside the boxes that clip it (an id cut with an ellipsis).
            let clip = { left: -Infinity, right: Infinity };
            for (let el = node.parentElement; el && el !== cell.parentElement; el = el.parentElement) {
              if (getComputedStyle(el).overflowX !== 'visible') {
                const c = el.getBoundingClientRect();
                clip = { left: Math.max(clip.left, c.left), right: Math.min(clip.right, c.right) };
              }
            }
            for (const full of range.getClientRects()) {
              const r = { left: Math.max(full.left, clip.left), right: Math.min(full.right, clip.right), top: full.top, bottom: full.bottom };
              r.width = r.right - r.left;
              r.height = r.bottom - r.top;
              if (!(r.width > 0) || !r.height) continue;
              if (r.left < bounds.left - 1 || r.right > bounds.right + 1) problems.push(`“${node.textContent.trim()}” runs out of its cell`);
              texts.push({ cell, r, text: node.textContent.trim() });
            }
          }
        }
        for (let i = 0; i < texts.length; i += 1) {
          for (let j = i + 1; j < texts.length; j += 1) {
            const [a, b] = [texts[i], texts[j]];
            if (a.cell === b.cell) continue;
            const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
            const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
            if (x > 1 && y > 1) problems.push(`“${a.text}” overlaps “${b.text}”`);
          }
        }
      }
    }
    if (document.documentElement.scrollWidth > innerWidth) problems.push(`the page scrolls sideways by ${document.documentElement.scrollWidth - innerWidth}px`);
    return [...new Set(problems)].slice(0, 10);
  }, selector);
}
