/** My feedback: what the user sent and where each item is in the review. */
import {append, h} from '../dom.js';
import * as api from '../api.js';
import * as format from '../format.js';
import {FEEDBACK_CATEGORIES, label} from '../labels.js';
import {pagedList} from '../paging.js';
import {statusBadge} from '../ui.js';

export function render(view) {
    const list = pagedList({
        fetchPage: (cursor) => api.get('/api/feedback/mine', {cursor, per_page: 20}),
        renderItems: (items) => h('ul', {class: 'feedback-list'}, items.map(row)),
        empty: 'Вы ещё не отправляли отзывов. Кнопка «Отзыв» есть на каждой странице.',
        testids: {previous: 'feedback-mine-previous', next: 'feedback-mine-next'},
    });
    append(view,
        h('h1', {id: 'page-title'}, 'Мои отзывы'),
        h('p', {class: 'lead'}, 'Администраторы рассматривают отзывы и меняют их статус.'),
        list.element);
    list.reload();
}

function row(item) {
    return h('li', {class: 'card feedback-item', testid: 'feedback-mine-row'},
        h('div', {class: 'feedback-meta'},
            statusBadge(item.status, 'feedback-mine-status'),
            h('span', {}, label(FEEDBACK_CATEGORIES, item.category)),
            h('time', {datetime: item.created_at}, format.dateTime(item.created_at)),
            item.resolved_at && h('span', {class: 'muted'}, `закрыт ${format.dateTime(item.resolved_at)}`)),
        h('p', {class: 'message'}, item.message));
}
