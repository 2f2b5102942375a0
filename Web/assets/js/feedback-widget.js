/**
 * The floating "Отзыв" button on every page of a signed-in user, and its short form in a modal dialog. The
 * page address, window size and language go with the message by themselves (the browser is named by the
 * request's User-Agent, which the feedback service reads itself).
 */
import {h} from './dom.js';
import * as api from './api.js';
import * as session from './session.js';
import * as router from './router.js';
import {FEEDBACK_CATEGORIES} from './labels.js';
import {actions, field, handleSubmit, toast} from './ui.js';

const APP_VERSION = 'web-console-1';

/** The button and its dialog; they show only while someone is signed in. */
export function feedbackWidget() {
    const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': 'feedback-title', testid: 'feedback-dialog'});
    const button = h('button', {
        type: 'button', class: 'button primary feedback-button', testid: 'feedback-button', hidden: true,
        onclick: () => open(),
    }, 'Отзыв');

    function open() {
        dialog.replaceChildren(form());
        dialog.showModal();
    }

    function form() {
        /** The same submission sent again (a retry after a lost answer) keeps its key, so it is recorded once. */
        let idempotencyKey = null;
        const element = h('form', {class: 'form', novalidate: true, oninput: () => { idempotencyKey = null; }},
            h('h2', {id: 'feedback-title'}, 'Отзыв о работе системы'),
            field({
                name: 'category', label: 'Тема', options: FEEDBACK_CATEGORIES, value: 'idea',
                testid: 'feedback-category',
            }),
            field({
                name: 'message', label: 'Сообщение', multiline: true, required: true, maxlength: 5000,
                testid: 'feedback-message',
            }),
            h('p', {class: 'hint'}, 'Вместе с сообщением отправятся адрес страницы, размер окна и браузер.'),
            actions('Отправить', 'feedback-submit',
                h('button', {type: 'button', class: 'button', onclick: () => dialog.close()}, 'Отмена')));
        return handleSubmit(element, ({category, message}) => {
            idempotencyKey ??= crypto.randomUUID();
            return api.send('POST', '/api/feedback', {
                category,
                message,
                page_url: location.href,
                viewport: `${window.innerWidth}x${window.innerHeight}`,
                locale: navigator.language,
                app_version: APP_VERSION,
            }, {'Idempotency-Key': idempotencyKey});
        }, () => {
            dialog.close();
            toast('Спасибо! Отзыв отправлен, его статус — в разделе «Мои отзывы».', {testid: 'feedback-sent'});
            if (router.currentPath() === '/feedback') router.go('/feedback');
        });
    }

    session.onChange((me) => {
        button.hidden = !me;
        if (!me && dialog.open) dialog.close();
    });
    return [button, dialog];
}
