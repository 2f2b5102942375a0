/** Sign-in: email and password; then the page the visitor asked for. */
import {append, h} from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as router from '../router.js';
import {field, handleSubmit, notice} from '../ui.js';

export function render(view, {notice: message}) {
    const form = h('form', {class: 'form', novalidate: true},
        field({
            name: 'email', label: 'Email', type: 'email', autocomplete: 'username', required: true,
            testid: 'login-email',
        }),
        field({
            name: 'password', label: 'Пароль', type: 'password', autocomplete: 'current-password', required: true,
            testid: 'login-password',
        }),
        h('div', {class: 'actions'},
            h('button', {type: 'submit', class: 'button primary', testid: 'login-submit'}, 'Войти')));
    handleSubmit(form, async ({email, password}) => {
        await api.signIn(email, password);
        await session.load();
    }, () => router.goAfterSignIn());
    view.classList.add('narrow');
    append(view,
        h('h1', {id: 'page-title'}, 'Вход'),
        message && notice(message, 'login-notice'),
        h('div', {class: 'card'}, form),
        h('p', {}, 'Нет учётной записи? ',
            h('a', {href: '#/register', testid: 'link-register'}, 'Зарегистрируйте организацию'), '.'),
        h('p', {}, 'Администратор выдал код сброса пароля? ',
            h('a', {href: '#/password-reset'}, 'Задайте новый пароль'), '.'));
}
