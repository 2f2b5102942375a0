/**
 * Users (admins): the organization's accounts, a new one, a role change, deactivation, and a password-reset
 * code, which the service shows exactly once (it keeps only its hash), so the page shows it until it is left.
 */
import {append, h, replace} from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as router from '../router.js';
import * as format from '../format.js';
import {ROLES} from '../labels.js';
import {pagedList} from '../paging.js';
import {actions, busy, errorBox, field, handleSubmit, notice} from '../ui.js';

export function render(view) {
    const list = pagedList({
        fetchPage: (cursor) => api.get('/api/users', {cursor, per_page: 20}),
        renderItems: (items) => h('ul', {class: 'user-list'}, items.map(row)),
        empty: 'Пользователей нет.',
        testids: {previous: 'users-previous', next: 'users-next'},
    });
    append(view,
        h('h1', {id: 'page-title'}, 'Пользователи'),
        h('section', {class: 'card'}, h('h2', {}, 'Новый пользователь'), createForm(list)),
        h('section', {}, h('h2', {}, 'Учётные записи'), list.element));
    list.reload();
}

function createForm(list) {
    const form = h('form', {class: 'form columns', novalidate: true},
        field({name: 'full_name', label: 'ФИО', required: true, autocomplete: 'off', testid: 'user-new-full-name'}),
        field({
            name: 'email', label: 'Email для входа', type: 'email', required: true, autocomplete: 'off',
            testid: 'user-new-email',
        }),
        field({
            name: 'role', label: 'Роль', options: {manager: ROLES.manager, admin: ROLES.admin}, value: 'manager',
            testid: 'user-new-role',
        }),
        field({
            name: 'password', label: 'Начальный пароль', type: 'password', required: true, autocomplete: 'new-password',
            testid: 'user-new-password', hint: 'Не короче 10 символов; передайте его сотруднику.',
        }),
        field({name: 'position', label: 'Должность', testid: 'user-new-position'}),
        field({name: 'phone', label: 'Телефон', type: 'tel', testid: 'user-new-phone'}),
        actions('Создать', 'user-create'));
    const create = ({position, phone, ...required}) =>
        api.send('POST', '/api/users', {...required, position: position || null, phone: phone || null});
    return handleSubmit(form, create, (user, status) => {
        form.reset();
        replace(status, notice(`Создан пользователь ${user.full_name} (${user.email}).`, 'user-created'));
        list.reload();
    });
}

function row(user) {
    const element = h('li', {class: 'card user-row', testid: 'user-row'});
    fill(element, user);
    return element;
}

/** (Re)draws one account, after a change with the server's new version of it. */
function fill(element, user) {
    const update = (change) => api.send('PATCH', `/api/users/${user.id}`, change);
    const result = h('div', {class: 'user-result', 'aria-live': 'polite'});

    function changed(updated, message) {
        if (updated.id === session.me().user.id) {
            // A change of role or activity revokes every token of the user: this session has just ended.
            api.forget();
            session.clear();
            router.go('/login', `${message} Ваш сеанс завершён: войдите снова.`);
            return;
        }
        fill(element, updated);
        element.querySelector('.user-result').append(notice(message, 'user-changed'));
    }

    /** Runs a change of this account from `button`; the row shows the result or the failure. */
    async function act(button, work, done) {
        replace(result);
        try {
            done(await busy(button, work));
        } catch (error) {
            replace(result, errorBox(error, () => act(button, work, done)));
        }
    }

    const roleForm = h('form', {class: 'inline-form', novalidate: true},
        field({
            name: 'role', label: `Роль пользователя ${user.full_name}`, hideLabel: true, options: ROLES,
            value: user.role, testid: 'user-role',
        }),
        h('button', {type: 'submit', class: 'button small', testid: 'user-role-save'}, 'Изменить роль'));
    handleSubmit(roleForm, ({role}) => update({role}), (updated) => changed(updated, 'Роль изменена.'));

    const activeButton = h('button', {
        type: 'button', class: 'button small', testid: 'user-active-toggle',
        onclick: () => act(activeButton, () => update({active: !user.active}), (updated) =>
            changed(updated, updated.active ? 'Пользователь снова активен.' : 'Пользователь деактивирован.')),
    }, user.active ? 'Деактивировать' : 'Активировать');

    const resetButton = h('button', {
        type: 'button', class: 'button small', testid: 'user-reset',
        onclick: () => act(resetButton, () => api.send('POST', `/api/users/${user.id}/password-reset`),
            (token) => replace(result, resetCode(user, token))),
    }, 'Сбросить пароль');

    replace(element,
        h('div', {class: 'user-main'},
            h('strong', {testid: 'user-name'}, user.full_name, user.id === session.me().user.id && ' (вы)'),
            h('span', {testid: 'user-email'}, user.email),
            h('span', {class: `status ${user.active ? 'status-resolved' : 'status-wont_fix'}`, testid: 'user-active'},
                user.active ? 'Активен' : 'Деактивирован'),
            h('span', {class: 'muted small'},
                user.last_login_at ? `Последний вход ${format.dateTime(user.last_login_at)}` : 'Ещё не входил')),
        h('div', {class: 'user-actions'}, roleForm, activeButton, resetButton),
        result);
}

function resetCode(user, token) {
    return h('div', {class: 'alert alert-info', role: 'status'},
        h('p', {}, `Код сброса пароля для ${user.email}. Он показывается только сейчас и действует до `,
            `${format.dateTime(token.expires_at)}. Пользователь вводит его на странице входа`,
            ' → «Задайте новый пароль».'),
        h('code', {class: 'token', testid: 'reset-token'}, token.reset_token));
}
