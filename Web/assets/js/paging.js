/**
 * A list the API pages with cursors. The API only gives the cursor of the next page, so the cursors of the
 * pages already seen are kept in a stack: "previous" pops it. Shows loading, errors with a retry, and
 * where the reader is ("Страница 2 · 21–40 из 137").
 */
import {h, replace} from './dom.js';
import {errorBox, loading} from './ui.js';
import {integer} from './format.js';

/**
 * `fetchPage(cursor)` answers one page ({items, per_page, total, total_exact, next_cursor}); `renderItems(items)`
 * makes its elements; `empty` says there are none. `testids` names the previous and next buttons. Returns
 * {element, reload}: reload starts again at the first page (new filters).
 */
export function pagedList({fetchPage, renderItems, empty, testids = {}}) {
    const body = h('div', {class: 'paged-body'});
    const position = h('p', {class: 'pager-position', 'aria-live': 'polite', testid: 'pager-position'});
    const previous = h('button', {
        type: 'button', class: 'button', testid: testids.previous, onclick: () => show(seen.at(-1), seen.slice(0, -1)),
    }, '← Назад');
    const next = h('button', {
        type: 'button', class: 'button', testid: testids.next, onclick: () => show(nextCursor, [...seen, cursor]),
    }, 'Вперёд →');
    const element = h('div', {class: 'paged'}, body, h('div', {class: 'pager'}, previous, position, next));
    /** The cursors of the pages before the current one, oldest first (the first page's is undefined). */
    let seen = [];
    let cursor;
    let nextCursor;

    async function show(wantedCursor, wantedSeen) {
        previous.disabled = next.disabled = true;
        element.setAttribute('aria-busy', 'true');
        replace(body, loading());
        try {
            const page = await fetchPage(wantedCursor);
            cursor = wantedCursor;
            seen = wantedSeen;
            nextCursor = page.next_cursor;
            replace(body, page.items.length ? renderItems(page.items) : h('p', {class: 'empty'}, empty));
            replace(position, describe(page));
        } catch (error) {
            replace(body, errorBox(error, () => show(wantedCursor, wantedSeen)));
        } finally {
            element.removeAttribute('aria-busy');
            previous.disabled = seen.length === 0;
            next.disabled = !nextCursor;
        }
    }

    function describe(page) {
        const number = seen.length + 1;
        if (page.items.length === 0) return `Страница ${number}`;
        const first = (number - 1) * page.per_page + 1;
        const total = page.total_exact ? integer(page.total) : `≈ ${integer(page.total)}`;
        return `Страница ${number} · ${integer(first)}–${integer(first + page.items.length - 1)} из ${total}`;
    }

    return {element, reload: () => show(undefined, [])};
}
