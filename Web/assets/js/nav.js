/**
 * The header: the name of the console, and for a signed-in user the navigation (admins see two more links,
 * one with the count of new feedback), the user, the organization and sign-out. On narrow screens the links
 * fold behind a "Меню" button.
 */
import {h, replace} from './dom.js';
import * as api from './api.js';
import * as session from './session.js';
import * as router from './router.js';
import {integer} from './format.js';
import {errorText} from './ui.js';

const LINKS = [
    {path: '/', text: 'Главная', testid: 'nav-home'},
    {path: '/profile', text: 'Профиль', testid: 'nav-profile'},
    {path: '/activity', text: 'Журнал', testid: 'nav-activity'},
    {path: '/feedback', text: 'Мои отзывы', testid: 'nav-feedback'},
    {path: '/admin/feedback', text: 'Отзывы', testid: 'nav-admin-feedback', admin: true},
    {path: '/admin/users', text: 'Пользователи', testid: 'nav-admin-users', admin: true},
];

const badge = h('span', {class: 'badge', testid: 'admin-feedback-badge', hidden: true});
/** The count is asked for again on navigation at most this often (every call counts against the rate limit). */
const BADGE_MAX_AGE = 60_000;
let badgeFetchedAt = -Infinity;

/** The header element; it follows the session and the current route by itself. */
export function header({onSignOut}) {
    const list = h('ul', {class: 'nav-links', id: 'nav-links'});
    const toggle = h('button', {
        type: 'button', class: 'button nav-toggle', hidden: true, testid: 'nav-toggle',
        'aria-expanded': 'false', 'aria-controls': 'nav-links',
        onclick: () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'),
    }, 'Меню');
    const user = h('div', {class: 'nav-user'});
    const nav = h('nav', {class: 'nav', 'aria-label': 'Разделы', hidden: true}, list, user);
    const element = h('header', {class: 'site-header'},
        h('div', {class: 'header-bar'}, h('a', {class: 'brand', href: '#/'}, 'Котировки'), toggle), nav);

    function setOpen(open) {
        toggle.setAttribute('aria-expanded', String(open));
        element.classList.toggle('is-open', open);
    }

    function build(me) {
        nav.hidden = !me;
        toggle.hidden = !me;
        if (!me) {
            replace(list);
            replace(user);
            return;
        }
        replace(list, LINKS.filter((link) => !link.admin || me.user.role === 'admin').map((link) =>
            h('li', {}, h('a', {href: `#${link.path}`, testid: link.testid, 'data-path': link.path},
                link.text, link.path === '/admin/feedback' && badge))));
        replace(user,
            h('span', {class: 'nav-name', testid: 'nav-user-name'}, me.profile.full_name,
                h('small', {}, me.organization.name)),
            h('button', {
                type: 'button', class: 'button', testid: 'logout', onclick: (event) => onSignOut(event.currentTarget),
            }, 'Выйти'));
        markCurrent(router.currentPath());
    }

    function markCurrent(path) {
        for (const link of list.querySelectorAll('a')) {
            if (link.dataset.path === path) link.setAttribute('aria-current', 'page');
            else link.removeAttribute('aria-current');
        }
    }

    session.onChange((me) => {
        badgeFetchedAt = -Infinity;
        build(me);
    });
    router.onChange((path) => {
        setOpen(false);
        markCurrent(path);
        if (session.isAdmin() && performance.now() - badgeFetchedAt > BADGE_MAX_AGE) refreshBadge();
    });
    return element;
}

/** Asks for the feedback counts and shows how many are new (hidden at zero); the review page calls it too. */
export async function refreshBadge() {
    badgeFetchedAt = performance.now();
    try {
        const counts = await api.get('/api/admin/feedback/counts');
        badge.textContent = integer(counts.new);
        badge.title = `Новых отзывов: ${integer(counts.new)}`;
        badge.hidden = counts.new === 0;
    } catch (error) {
        badge.textContent = '!';
        badge.title = `Не удалось узнать число новых отзывов. ${errorText(error)}`;
        badge.hidden = false;
    }
}
