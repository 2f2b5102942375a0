/**
 * Routes in the URL fragment (#/profile): the proxy serves exactly one page, so every view of the console lives
 * after the `#`. A route says who may see it: everyone signed out (sign-in, registration), any signed-in user,
 * or admins only; the router sends the others where they belong.
 */
import {h, replace} from './dom.js';
import * as session from './session.js';
import {errorBox} from './ui.js';

const routes = new Map();
const listeners = new Set();
let outlet;
/** Where to go after signing in: the page a signed-out visitor asked for. */
let afterSignIn = '/';
/** A message for the next view (why the visitor was sent to the sign-in page). */
let pendingNotice = null;
let firstView = true;

/**
 * `access`: 'guest' (only signed out), 'user' or 'admin'. `render(view, {notice})` fills the view's
 * section and may return a promise; a failure it does not handle itself is shown with a retry.
 */
export function define(path, {title, access, render}) {
    routes.set(path, {title, access, render});
}

/** Calls `listener(path)` after every change of view (the navigation marks the current link). */
export function onChange(listener) {
    listeners.add(listener);
}

export function start(container) {
    outlet = container;
    window.addEventListener('hashchange', show);
    show();
}

/** Goes to `path`, optionally with a notice for the next view; shows it again when it is the current one. */
export function go(path, notice = null) {
    pendingNotice = notice;
    if (currentPath() === path) show();
    else location.hash = `#${path}`;
}

/** The session ended by itself: to the sign-in page, and back here afterwards. */
export function signInAgain(notice) {
    const path = currentPath();
    afterSignIn = routes.get(path)?.access === 'guest' ? '/' : path;
    go('/login', notice);
}

/** Goes where a visitor wanted to go before signing in. */
export function goAfterSignIn() {
    const target = afterSignIn;
    afterSignIn = '/';
    go(target);
}

/** The route's path: the fragment without its `#` (and without a query, which no route reads). */
export const currentPath = () => location.hash.replace(/^#/, '').split('?')[0] || '/';

async function show() {
    const path = currentPath();
    const route = routes.get(path);
    const signedIn = session.me() !== null;
    if (route && route.access !== 'guest' && !signedIn) {
        afterSignIn = path;
        return go('/login', pendingNotice);
    }
    if (route?.access === 'guest' && signedIn) return go('/');
    const notice = pendingNotice;
    pendingNotice = null;
    const view = h('section', {class: 'page', 'aria-labelledby': 'page-title'});
    replace(outlet, view);
    for (const listener of listeners) listener(path);
    if (!route) return fallback(view, 'Страница не найдена', 'Такого раздела нет. Перейдите на главную.');
    if (route.access === 'admin' && !session.isAdmin()) {
        return fallback(view, 'Нет доступа', 'Этот раздел только для администраторов организации.');
    }
    document.title = `${route.title} · Котировки`;
    const rendering = route.render(view, {notice});
    focusTitle(view);
    try {
        await rendering;
    } catch (error) {
        view.append(errorBox(error, show));
    }
}

function fallback(view, title, text) {
    document.title = `${title} · Котировки`;
    replace(view, h('h1', {id: 'page-title'}, title), h('p', {}, text), h('p', {}, h('a', {href: '#/'}, 'На главную')));
    focusTitle(view);
}

/** After a change of view, focus goes to its title, so keyboard and screen reader users start there. */
function focusTitle(view) {
    const title = view.querySelector('h1');
    if (!title) return;
    title.tabIndex = -1;
    if (!firstView) title.focus({preventScroll: true});
    firstView = false;
}
