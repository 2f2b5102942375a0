/** A new password with the one-time code an admin issued (Пользователи → «Сбросить пароль»). */
import {append, h} from '../dom.js';
import * as api from '../api.js';
import * as router from '../router.js';
import {field, handleSubmit} from '../ui.js';

export function render(view) {
    const form = h('form', {class: 'form', novalidate: true},
        field({
            name: 'reset_token', label: 'Код сброса', required: true, autocomplete: 'one-time-code',
            testid: 'reset-token-input',
        }),
        field({
            name: 'new_password', label: 'Новый пароль', type: 'password', required: true, autocomplete: 'new-password',
            testid: 'reset-password', hint: 'Не короче 10 символов.',
        }),
        h('div', {class: 'actions'},
            h('button', {type: 'submit', class: 'button primary', testid: 'reset-submit'}, 'Сохранить пароль')));
    handleSubmit(form, (fields) => api.send('POST', '/api/auth/password-reset', fields),
        () => router.go('/login', 'Пароль изменён. Войдите с новым паролем.'));
    view.classList.add('narrow');
    append(view,
        h('h1', {id: 'page-title'}, 'Новый пароль'),
        h('p', {}, 'Код сброса выдаёт администратор вашей организации; он действует один час.'),
        h('div', {class: 'card'}, form),
        h('p', {}, h('a', {href: '#/login'}, 'Вернуться ко входу')));
}
