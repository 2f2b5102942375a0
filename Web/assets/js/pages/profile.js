/**
 * Profile: the manager's own details (printed in a quote's signature), the organization's details (only
 * admins may change them) and the password. The server checks every field; its messages show beside them.
 */
import {append, h, replace} from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as router from '../router.js';
import {ROLES, label} from '../labels.js';
import {actions, control, details, field, handleSubmit, notice, showFieldErrors} from '../ui.js';

const ORGANIZATION_FIELDS = [
    {name: 'name', label: 'Название', required: true},
    {name: 'legal_name', label: 'Юридическое название'},
    {name: 'inn', label: 'ИНН', inputmode: 'numeric', hint: '10 цифр для организации, 12 — для ИП'},
    {name: 'kpp', label: 'КПП', hint: '9 символов, например 770701001'},
    {name: 'address', label: 'Адрес'},
    {name: 'phone', label: 'Телефон', type: 'tel'},
    {name: 'email', label: 'Email', type: 'email'},
    {name: 'website', label: 'Сайт', type: 'url', hint: 'Например, https://example.ru'},
];

export function render(view) {
    const me = session.me();
    append(view,
        h('h1', {id: 'page-title'}, 'Профиль'),
        h('p', {class: 'lead'}, `${me.user.email} · ${label(ROLES, me.user.role)}`),
        h('div', {class: 'grid two'},
            h('section', {class: 'card'}, h('h2', {}, 'Мои данные'), profileForm(me)),
            h('section', {class: 'card', testid: 'organization-card'}, h('h2', {}, 'Организация'),
                session.isAdmin() ? organizationForm(me.organization) : organizationDetails(me.organization))),
        h('section', {class: 'card narrow-card'}, h('h2', {}, 'Смена пароля'), passwordForm()));
}

/** Empty optional fields are sent as null, which clears them. */
const orNull = (value) => (value === '' ? null : value);

function profileForm(me) {
    const {user} = me;
    const form = h('form', {class: 'form', novalidate: true},
        field({
            name: 'full_name', label: 'ФИО', value: user.full_name, required: true, autocomplete: 'name',
            testid: 'profile-full-name',
        }),
        field({
            name: 'position', label: 'Должность', value: user.position ?? '', autocomplete: 'organization-title',
            testid: 'profile-position',
        }),
        field({
            name: 'phone', label: 'Телефон', type: 'tel', value: user.phone ?? '', autocomplete: 'tel',
            testid: 'profile-phone', hint: 'Например, +7 495 123-45-67 или 8 (495) 123-45-67',
        }),
        field({
            name: 'email', label: 'Email для КП', type: 'email', value: user.contact_email ?? '', autocomplete: 'email',
            testid: 'profile-email', hint: `Если не указан, в КП печатается email для входа (${user.email}).`,
        }),
        actions('Сохранить', 'profile-save'));
    return handleSubmit(form, (fields) => api.send('PATCH', '/api/users/me/profile', {
        full_name: fields.full_name,
        position: orNull(fields.position),
        phone: orNull(fields.phone),
        email: orNull(fields.email),
    }), (answer, status) => {
        session.update(answer);
        control(form, 'phone').value = answer.user.phone ?? '';
        replace(status, notice('Сохранено.', 'profile-saved'));
    });
}

function organizationForm(organization) {
    const form = h('form', {class: 'form', novalidate: true},
        ORGANIZATION_FIELDS.map(({name, ...rest}) =>
            field({name, value: organization[name] ?? '', testid: `org-${name}`, ...rest})),
        actions('Сохранить', 'org-save'));
    const change = (fields) => Object.fromEntries(Object.entries(fields)
        .map(([name, value]) => [name, name === 'name' ? value : orNull(value)]));
    const save = (fields) => api.send('PATCH', '/api/organizations/current', change(fields));
    return handleSubmit(form, save, (answer, status) => {
        session.update({organization: answer});
        for (const {name} of ORGANIZATION_FIELDS) control(form, name).value = answer[name] ?? '';
        replace(status, notice('Сохранено.', 'org-saved'));
    });
}

function organizationDetails(organization) {
    return h('div', {},
        details(ORGANIZATION_FIELDS.map(({name, label: title}) => [title, organization[name]])),
        h('p', {class: 'muted small'}, 'Изменить данные организации может администратор.'));
}

function passwordForm() {
    const form = h('form', {class: 'form', novalidate: true},
        field({
            name: 'current_password', label: 'Текущий пароль', type: 'password', required: true,
            autocomplete: 'current-password', testid: 'password-current',
        }),
        field({
            name: 'new_password', label: 'Новый пароль', type: 'password', required: true, autocomplete: 'new-password',
            testid: 'password-new', hint: 'Не короче 10 символов. После смены нужно войти заново.',
        }),
        field({
            name: 'repeat', label: 'Новый пароль ещё раз', type: 'password', required: true,
            autocomplete: 'new-password', testid: 'password-repeat',
        }),
        actions('Сменить пароль', 'password-save'));
    form.addEventListener('submit', (event) => {
        if (control(form, 'new_password').value === control(form, 'repeat').value) return;
        event.stopImmediatePropagation();
        event.preventDefault();
        showFieldErrors(form, [{field: 'repeat', message: 'Пароли не совпадают.'}]);
    });
    const change = ({current_password, new_password}) =>
        api.send('POST', '/api/users/me/password', {current_password, new_password});
    return handleSubmit(form, change, () => {
        // The server has ended every session of the user, this one included.
        api.forget();
        session.clear();
        router.go('/login', 'Пароль изменён. Войдите с новым паролем.');
    });
}
