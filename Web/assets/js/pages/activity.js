/**
 * The activity log: filters, 20 entries a page (cursor paging), each entry's detail with its changes before
 * and after, and the CSV export of the current filter (the filter as applied, not as being edited).
 */
import {append, h, replace} from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as format from '../format.js';
import {ACTIONS, EVENT_TYPES, FIELDS, RESOURCE_TYPES, label} from '../labels.js';
import {pagedList} from '../paging.js';
import {busy, details, errorBox, field, filterForm, notice} from '../ui.js';

const ANY = {'': 'Все'};

export function render(view) {
    let filter = {};
    const list = pagedList({
        fetchPage: (cursor) => api.get('/api/activity-logs', {...filter, cursor, per_page: 20}),
        renderItems: (items) => h('ul', {class: 'entries'}, items.map(entryRow)),
        empty: 'Записей с такими условиями нет.',
        testids: {previous: 'activity-previous', next: 'activity-next'},
    });
    const form = filterForm([
        field({name: 'action', label: 'Действие', options: {...ANY, ...ACTIONS}, testid: 'activity-filter-action'}),
        field({
            name: 'resource_type', label: 'Объект', options: {...ANY, ...RESOURCE_TYPES},
            testid: 'activity-filter-resource',
        }),
        session.isAdmin() && field({
            name: 'user_id', label: 'Пользователь', options: ANY, testid: 'activity-filter-user',
        }),
        field({name: 'from', label: 'С даты', type: 'date', testid: 'activity-filter-from'}),
        field({name: 'to', label: 'По дату', type: 'date', testid: 'activity-filter-to'}),
    ], 'activity-filter-apply', (query) => {
        filter = query;
        list.reload();
    });
    const exportResult = h('div', {'aria-live': 'polite'});
    const exportButton = h('button', {
        type: 'button', class: 'button', testid: 'activity-export', onclick: () => exportCsv(),
    }, 'Выгрузить CSV');

    async function exportCsv() {
        replace(exportResult);
        try {
            const {blob, filename} = await busy(exportButton,
                () => api.download('/api/activity-logs/export.csv', filter));
            save(blob, filename);
            replace(exportResult, notice(`Файл ${filename} сохранён в загрузки.`, 'activity-export-result'));
        } catch (error) {
            replace(exportResult, errorBox(error, exportCsv));
        }
    }

    append(view,
        h('div', {class: 'page-head'}, h('h1', {id: 'page-title'}, 'Журнал действий'), exportButton),
        h('section', {class: 'card'}, h('h2', {class: 'visually-hidden'}, 'Фильтры'), form),
        exportResult,
        list.element);
    list.reload();
    if (session.isAdmin()) fillUsers(form.querySelector('select[name="user_id"]'));
}

/** The organization's users for the filter (admins may list them); until they come the filter offers "Все". */
async function fillUsers(select) {
    try {
        const page = await api.get('/api/users', {per_page: 100});
        select.append(...page.items.map((user) => h('option', {value: user.id}, `${user.full_name} (${user.email})`)));
    } catch (error) {
        const box = errorBox(error, () => {
            box.remove();
            fillUsers(select);
        });
        select.after(box);
    }
}

/** Downloads a blob under its name: an object URL opened by a link with `download` (no fetch involved). */
function save(blob, filename) {
    const url = URL.createObjectURL(blob);
    const link = h('a', {href: url, download: filename, hidden: true});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function entryRow(entry) {
    const detailId = `entry-${entry.id}`;
    const detail = h('div', {class: 'entry-detail', id: detailId, hidden: true, testid: 'activity-detail'});
    const toggle = h('button', {
        type: 'button', class: 'link-button', testid: 'activity-detail-toggle',
        'aria-expanded': 'false', 'aria-controls': detailId,
        onclick: () => {
            const open = toggle.getAttribute('aria-expanded') !== 'true';
            toggle.setAttribute('aria-expanded', String(open));
            if (open && !detail.hasChildNodes()) detail.append(...entryDetail(entry));
            detail.hidden = !open;
        },
    }, label(EVENT_TYPES, entry.event_type));
    return h('li', {class: 'entry', testid: 'activity-row'},
        h('div', {class: 'entry-line'},
            h('time', {datetime: entry.occurred_at, class: 'entry-time'}, format.dateTime(entry.occurred_at)),
            h('span', {class: 'entry-what'}, toggle),
            h('span', {class: 'entry-action', testid: 'activity-row-action'}, label(ACTIONS, entry.action)),
            h('span', {class: 'entry-resource'},
                label(RESOURCE_TYPES, entry.resource_type), entry.resource_id && ` ${entry.resource_id}`),
            h('span', {class: 'entry-actor'}, entry.actor?.email ?? (entry.actor ? 'пользователь' : 'система'))),
        detail);
}

function entryDetail(entry) {
    const changes = changeRows(entry.payload ?? {});
    const {actor = {}, source} = entry;
    return [
        details([
            ['Событие', entry.event_type],
            ['Кто', actor.email ?? actor.user_id],
            ['IP-адрес', actor.ip],
            ['Браузер или клиент', actor.user_agent],
            ['Источник', source.instance ? `${source.service} (${source.instance})` : source.service],
            ['Записано', format.dateTime(entry.recorded_at)],
            ['Запрос', entry.request_id],
        ]),
        changes.length ? changesTable(changes) : h('p', {class: 'muted'}, 'Изменений полей нет.'),
    ];
}

/** Field, before and after; only field and value when no field has a before (a creation, a new state). */
function changesTable(changes) {
    const withBefore = changes.some(([, before]) => before !== undefined);
    const headings = withBefore ? ['Поле', 'Было', 'Стало'] : ['Поле', 'Значение'];
    return h('table', {class: 'changes', testid: 'activity-changes'},
        h('caption', {}, 'Изменения'),
        h('thead', {}, h('tr', {}, headings.map((heading) => h('th', {scope: 'col'}, heading)))),
        h('tbody', {}, changes.map(([name, before, after]) => h('tr', {},
            h('th', {scope: 'row'}, label(FIELDS, name)),
            withBefore && h('td', {}, cell(before)),
            h('td', {}, cell(after))))));
}

/**
 * [field, before, after] from the payload shapes the services write: {changes: {f: {before, after}}} for an
 * update, {before: {…}} and/or {after: {…}} for a creation or deletion (other members
 * of such a payload count as new values); any other payload (the quoting core's
 * events carry the resource's new state) is read as "after".
 */
function changeRows(payload) {
    if (payload.changes && typeof payload.changes === 'object') {
        return Object.entries(payload.changes).map(([name, change]) => [name, change?.before, change?.after]);
    }
    if (isObject(payload.before) || isObject(payload.after)) {
        const before = isObject(payload.before) ? payload.before : {};
        const after = isObject(payload.after) ? payload.after : {};
        const others = Object.entries(payload).filter(([name]) => name !== 'before' && name !== 'after');
        const names = new Set([...Object.keys(before), ...Object.keys(after)]);
        return [
            ...[...names].map((name) => [name, before[name], after[name]]),
            ...others.map(([name, value]) => [name, undefined, value]),
        ];
    }
    return Object.entries(payload).map(([name, value]) => [name, undefined, value]);
}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A changed value as text: a dash for none, yes/no for booleans, JSON for anything structured. */
function cell(value) {
    if (value === undefined || value === null || value === '') return '—';
    if (typeof value === 'boolean') return value ? 'да' : 'нет';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
