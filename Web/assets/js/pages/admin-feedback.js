/**
 * The review queue (admins): counts by status, filters, and per submission its context, a status change
 * (only the moves the service allows are offered) and the internal note, which the submitter never sees.
 */
import {append, h, replace} from '../dom.js';
import * as api from '../api.js';
import * as format from '../format.js';
import {refreshBadge} from '../nav.js';
import {FEEDBACK_CATEGORIES, FEEDBACK_NEXT, FEEDBACK_STATUSES, label} from '../labels.js';
import {pagedList} from '../paging.js';
import {actions, details, errorBox, field, filterForm, handleSubmit, notice, orDash, statusBadge} from '../ui.js';

const ANY = {'': 'Все'};

export function render(view) {
    let filter = {};
    const counts = h('div', {class: 'counts', 'aria-live': 'polite'});
    const list = pagedList({
        fetchPage: (cursor) => api.get('/api/admin/feedback', {...filter, cursor, per_page: 20}),
        renderItems: (items) => h('ul', {class: 'feedback-list'}, items.map((item) => row(item, changed))),
        empty: 'Отзывов с такими условиями нет.',
        testids: {previous: 'admin-feedback-previous', next: 'admin-feedback-next'},
    });
    const form = filterForm([
        field({
            name: 'status', label: 'Статус', options: {...ANY, ...FEEDBACK_STATUSES},
            testid: 'admin-feedback-filter-status',
        }),
        field({
            name: 'category', label: 'Тема', options: {...ANY, ...FEEDBACK_CATEGORIES},
            testid: 'admin-feedback-filter-category',
        }),
        field({name: 'q', label: 'Текст содержит', type: 'search', maxlength: 200, testid: 'admin-feedback-filter-q'}),
        field({name: 'from', label: 'С даты', type: 'date'}),
        field({name: 'to', label: 'По дату', type: 'date'}),
    ], 'admin-feedback-filter-apply', (query) => {
        filter = query;
        list.reload();
    });

    async function showCounts() {
        try {
            const answer = await api.get('/api/admin/feedback/counts');
            replace(counts, h('ul', {class: 'chips'}, Object.entries(FEEDBACK_STATUSES).map(([status, name]) =>
                h('li', {testid: `admin-feedback-count-${status}`}, `${name}: ${format.integer(answer[status])}`))));
        } catch (error) {
            replace(counts, errorBox(error, showCounts));
        }
    }

    /** After a review: the counts here and in the navigation change too. */
    function changed() {
        showCounts();
        refreshBadge();
    }

    append(view,
        h('h1', {id: 'page-title'}, 'Отзывы пользователей'),
        counts,
        h('section', {class: 'card'}, h('h2', {class: 'visually-hidden'}, 'Фильтры'), form),
        list.element);
    showCounts();
    list.reload();
}

function row(item, changed) {
    const element = h('li', {class: 'card feedback-item', testid: 'admin-feedback-row'});
    fill(element, item, changed);
    return element;
}

/** (Re)draws a submission, after a review with the server's new version of it. */
function fill(element, item, changed) {
    const context = item.context ?? {};
    const statuses = Object.fromEntries([item.status, ...FEEDBACK_NEXT[item.status]]
        .map((status) => [status, label(FEEDBACK_STATUSES, status)]));
    const form = h('form', {class: 'form review', novalidate: true},
        field({
            name: 'status', label: 'Статус', options: statuses, value: item.status, testid: 'admin-feedback-status',
        }),
        field({
            name: 'admin_note', label: 'Внутренняя заметка', multiline: true, value: item.admin_note ?? '',
            maxlength: 5000, testid: 'admin-feedback-note', hint: 'Видна только администраторам.',
        }),
        actions('Сохранить', 'admin-feedback-save'));
    handleSubmit(form, ({status, admin_note}) => {
        const review = {};
        if (status !== item.status) review.status = status;
        if (admin_note !== (item.admin_note ?? '')) review.admin_note = admin_note === '' ? null : admin_note;
        return api.send('PATCH', `/api/admin/feedback/${item.id}`, review);
    }, (updated) => {
        fill(element, updated, changed);
        element.querySelector('.review').append(notice('Сохранено.', 'admin-feedback-saved'));
        changed();
    });
    replace(element,
        h('div', {class: 'feedback-meta'},
            statusBadge(item.status, 'admin-feedback-current-status'),
            h('span', {}, label(FEEDBACK_CATEGORIES, item.category)),
            h('time', {datetime: item.created_at}, format.dateTime(item.created_at)),
            h('span', {}, orDash(item.user_email))),
        h('p', {class: 'message'}, item.message),
        h('details', {class: 'context'}, h('summary', {}, 'Где и в чём писал'), details([
            ['Страница', context.page_url],
            ['Окно', context.viewport],
            ['Браузер', context.user_agent],
            ['Язык', context.locale],
            ['Версия', context.app_version],
            ['Закрыт', item.resolved_at && format.dateTime(item.resolved_at)],
        ])),
        form);
}
