/** Registration: a new organization and its first admin, who is signed in straight away. */
import {append, h} from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as router from '../router.js';
import {field, handleSubmit} from '../ui.js';

export function render(view) {
    const form = h('form', {class: 'form', novalidate: true},
        field({
            name: 'organization_name', label: 'Название организации', required: true, autocomplete: 'organization',
            testid: 'register-organization',
        }),
        field({
            name: 'full_name', label: 'Ваше имя и фамилия', required: true, autocomplete: 'name',
            testid: 'register-full-name',
        }),
        field({
            name: 'email', label: 'Email для входа', type: 'email', required: true, autocomplete: 'username',
            testid: 'register-email',
        }),
        field({
            name: 'password', label: 'Пароль', type: 'password', required: true, autocomplete: 'new-password',
            testid: 'register-password', hint: 'Не короче 10 символов; слишком распространённые пароли не подойдут.',
        }),
        h('div', {class: 'actions'},
            h('button', {type: 'submit', class: 'button primary', testid: 'register-submit'}, 'Зарегистрироваться')));
    handleSubmit(form, async (fields) => {
        await api.register(fields);
        await session.load();
    }, () => router.go('/'));
    view.classList.add('narrow');
    append(view,
        h('h1', {id: 'page-title'}, 'Регистрация организации'),
        h('p', {}, 'Вы станете администратором новой организации и сможете добавить сотрудников.'),
        h('div', {class: 'card'}, form),
        h('p', {}, 'Уже есть учётная запись? ', h('a', {href: '#/login'}, 'Войдите'), '.'));
}
