/**
 * The console's entry point: builds the page's frame, resumes the session the refresh cookie holds (if this
 * browser has one), and starts the router. Every page is defined here, with who may see it.
 */
import {h, replace} from './dom.js';
import * as api from './api.js';
import * as session from './session.js';
import * as router from './router.js';
import {header} from './nav.js';
import {feedbackWidget} from './feedback-widget.js';
import {busy, errorBox, errorText, loading, toast} from './ui.js';
import * as login from './pages/login.js';
import * as register from './pages/register.js';
import * as passwordReset from './pages/password-reset.js';
import * as home from './pages/home.js';
import * as profile from './pages/profile.js';
import * as activity from './pages/activity.js';
import * as feedbackMine from './pages/feedback-mine.js';
import * as adminFeedback from './pages/admin-feedback.js';
import * as adminUsers from './pages/admin-users.js';

router.define('/login', {title: 'Вход', access: 'guest', render: login.render});
router.define('/register', {title: 'Регистрация', access: 'guest', render: register.render});
router.define('/password-reset', {title: 'Новый пароль', access: 'guest', render: passwordReset.render});
router.define('/', {title: 'Главная', access: 'user', render: home.render});
router.define('/profile', {title: 'Профиль', access: 'user', render: profile.render});
router.define('/activity', {title: 'Журнал действий', access: 'user', render: activity.render});
router.define('/feedback', {title: 'Мои отзывы', access: 'user', render: feedbackMine.render});
router.define('/admin/feedback', {title: 'Отзывы пользователей', access: 'admin', render: adminFeedback.render});
router.define('/admin/users', {title: 'Пользователи', access: 'admin', render: adminUsers.render});

const main = document.getElementById('app');

/** Sign-out from the header: the server ends the session; this tab forgets it even when the server is not reached. */
async function signOut(button) {
    try {
        await busy(button, api.signOut);
    } catch (error) {
        toast(`Сеанс завершён в этой вкладке, но сервер не подтвердил выход. ${errorText(error)}`, {kind: 'error'});
    }
    session.clear();
    router.go('/login', 'Вы вышли из системы.');
}

api.onSignedOut(() => {
    session.clear();
    router.signInAgain('Сеанс истёк. Войдите снова.');
});

window.addEventListener('unhandledrejection', (event) => {
    toast(errorText(event.reason), {kind: 'error'});
});

/** Resumes the session, then shows the page the address names; a failure to reach the server offers a retry. */
async function boot() {
    replace(main, loading());
    try {
        if (await api.resume()) await session.load();
    } catch (error) {
        replace(main, h('section', {class: 'page'}, h('h1', {}, 'Котировки'), errorBox(error, boot)));
        return;
    }
    router.start(main);
}

document.body.prepend(header({onSignOut: signOut}));
document.body.append(...feedbackWidget());
boot();
