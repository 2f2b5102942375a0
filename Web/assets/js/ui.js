/**
 * The pieces every page shares: form fields with their labels and error slots, error boxes people can act on,
 * busy buttons, loading placeholders and short notices. One way to show each of these across the console.
 */
import {h, replace} from './dom.js';
import {ApiError} from './api.js';
import {moscowDays, waitFor} from './format.js';
import {FEEDBACK_STATUSES, label} from './labels.js';

let nextId = 0;
const uniqueId = (name) => `f-${name}-${++nextId}`;

/** The interface's words for each status, before the server's own detail. */
const LEADS = {
    0: 'Нет связи с сервером.',
    400: 'Запрос не принят.',
    401: 'Не удалось войти.',
    403: 'Нет доступа.',
    404: 'Не найдено.',
    409: 'Конфликт с текущим состоянием данных.',
    413: 'Слишком большой запрос.',
    422: 'Проверьте данные.',
    429: 'Слишком много попыток.',
    502: 'Внешний источник не ответил.',
    503: 'Сервис временно недоступен.',
};

/** A failure in words: the status's lead, the server's detail, and when to try again when it says so. */
export function errorText(error) {
    if (!(error instanceof ApiError)) return `Что-то пошло не так: ${error?.message ?? error}`;
    const parts = [LEADS[error.status] ?? (error.status >= 500 ? 'Ошибка на сервере.' : `Ошибка ${error.status}.`)];
    if (error.detail) parts.push(/[.!?]$/.test(error.detail) ? error.detail : `${error.detail}.`);
    if (error.retryAfter !== null && (error.status === 429 || error.status === 503)) {
        parts.push(`Повторите ${waitFor(error.retryAfter)}.`);
    } else if (error.status === 0) {
        parts.push('Проверьте подключение и повторите.');
    }
    return parts.join(' ');
}

/**
 * An alert with the failure in words; with `retry`, and when trying again can help (no connection, 502, 503,
 * or later after a 429), a button that does it.
 */
export function errorBox(error, retry) {
    const canRetry = retry && error instanceof ApiError && (error.retryable || error.status === 429);
    return h('div', {class: 'alert alert-error', role: 'alert', testid: 'error-message'},
        h('span', {}, errorText(error)),
        canRetry && ' ',
        canRetry && h('button', {type: 'button', class: 'button small', testid: 'retry', onclick: retry}, 'Повторить'));
}

/** A short success or information line, announced to screen readers. */
export const notice = (text, testid) => h('p', {class: 'alert alert-ok', role: 'status', testid}, text);

export const loading = () => h('p', {class: 'loading', role: 'status'},
    h('span', {class: 'spinner', 'aria-hidden': 'true'}), 'Загрузка…');

/**
 * Runs `work` with `button` disabled and showing a spinner, so a slow call shows progress and cannot be sent
 * twice; the button comes back however the work ends.
 */
export async function busy(button, work) {
    button.disabled = true;
    button.classList.add('is-busy');
    button.setAttribute('aria-busy', 'true');
    try {
        return await work();
    } finally {
        button.disabled = false;
        button.classList.remove('is-busy');
        button.removeAttribute('aria-busy');
    }
}

/**
 * A labelled field: `{name, label, type, value, testid, hint, options, multiline, hideLabel, …}` (other keys
 * become the control's attributes; `hideLabel` keeps the label for screen readers only). The wrapper carries
 * `data-field` = the API's field name, which is how a 422's field errors find their field (showFieldErrors).
 */
export function field({name, label, type = 'text', value = '', testid, hint, options, multiline, hideLabel, ...attrs}) {
    const id = uniqueId(name);
    const hintId = hint ? `${id}-hint` : null;
    const common = {id, name, testid, 'aria-describedby': hintId, ...attrs};
    let control;
    if (options) {
        control = h('select', {...common, value},
            Object.entries(options).map(([code, text]) => h('option', {value: code}, text)));
    } else if (multiline) {
        control = h('textarea', {...common, rows: 4, value});
    } else {
        control = h('input', {...common, type, value});
    }
    return h('div', {class: 'field', 'data-field': name},
        h('label', {for: id, class: hideLabel ? 'visually-hidden' : null}, label),
        control,
        hint && h('p', {class: 'hint', id: hintId}, hint),
        h('p', {class: 'field-error', testid: 'field-error', id: `${id}-error`, hidden: true}));
}

/** A form's row of buttons: the one that submits it, then any others. */
export const actions = (text, testid, ...others) => h('div', {class: 'actions'},
    h('button', {type: 'submit', class: 'button primary', testid}, text), others);

/**
 * A list's filters: `fields` and the buttons that apply and reset them. `apply(query)` gets the values as query
 * parameters, the days `from` and `to` as the instants where those Moscow days begin and end; reset applies none.
 */
export function filterForm(fields, applyTestid, apply) {
    const form = h('form', {class: 'filters', novalidate: true}, fields,
        h('div', {class: 'actions'},
            h('button', {type: 'submit', class: 'button primary', testid: applyTestid}, 'Применить'),
            h('button', {type: 'reset', class: 'button'}, 'Сбросить')));
    form.addEventListener('submit', (event) => {
        event.preventDefault();
        const {from, to, ...rest} = values(form);
        apply({...rest, ...moscowDays(from, to)});
    });
    form.addEventListener('reset', () => apply({}));
    return form;
}

/** The control of the field `name` in `form`. */
export const control = (form, name) => form.querySelector(`[data-field="${name}"] :is(input, select, textarea)`);

/** The values of a form's fields by name, trimmed except passwords (the API takes those exactly as typed). */
export function values(form) {
    const result = {};
    for (const element of form.querySelectorAll('[data-field] :is(input, select, textarea)')) {
        result[element.name] = element.type === 'password' ? element.value : element.value.trim();
    }
    return result;
}

/**
 * Shows each field error beside its field and returns those that match no field of the form (shown with the
 * form's error instead). `errors` is the problem's list of {field, message}.
 */
export function showFieldErrors(form, errors) {
    clearFieldErrors(form);
    const unmatched = [];
    for (const {field: name, message} of errors) {
        const wrapper = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
        if (!wrapper) {
            unmatched.push(`${name}: ${message}`);
            continue;
        }
        const slot = wrapper.querySelector('.field-error');
        const input = wrapper.querySelector('input, select, textarea');
        slot.textContent = slot.hidden ? message : `${slot.textContent} ${message}`;
        slot.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        const described = [input.getAttribute('aria-describedby'), slot.id].filter(Boolean);
        input.setAttribute('aria-describedby', described.join(' '));
    }
    form.querySelector('[aria-invalid="true"]')?.focus();
    return unmatched;
}

function clearFieldErrors(form) {
    for (const slot of form.querySelectorAll('.field-error')) {
        slot.hidden = true;
        slot.textContent = '';
        const input = slot.parentElement.querySelector('input, select, textarea');
        input.removeAttribute('aria-invalid');
        const described = (input.getAttribute('aria-describedby') ?? '').split(' ')
            .filter((id) => id && id !== slot.id);
        if (described.length) input.setAttribute('aria-describedby', described.join(' '));
        else input.removeAttribute('aria-describedby');
    }
}

/**
 * Submits a form through `work(values)`: the button shows progress, field errors go beside their fields, any
 * other failure into the form's status line, and `done(answer)` runs on success.
 */
export function handleSubmit(form, work, done) {
    const status = h('div', {class: 'form-status'});
    form.append(status);
    form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const button = event.submitter ?? form.querySelector('[type="submit"]');
        replace(status);
        clearFieldErrors(form);
        try {
            const answer = await busy(button, () => work(values(form)));
            await done(answer, status);
        } catch (error) {
            const unmatched = error instanceof ApiError ? showFieldErrors(form, error.errors) : [];
            const box = errorBox(error, () => form.requestSubmit(button));
            if (unmatched.length) box.append(h('ul', {}, unmatched.map((text) => h('li', {}, text))));
            replace(status, box);
        }
    });
    return form;
}

/** A feedback status as a coloured label. */
export const statusBadge = (status, testid) =>
    h('span', {class: `status status-${status}`, testid}, label(FEEDBACK_STATUSES, status));

/** A value or a dash when there is none. */
export const orDash = (value) => (value === undefined || value === null || value === '' ? '—' : value);

/** A read-only list of label and value pairs. */
export const details = (pairs) => h('dl', {class: 'details'},
    pairs.map(([term, value]) => [h('dt', {}, term), h('dd', {}, orDash(value))]));

const toasts = h('div', {class: 'toasts', role: 'status', 'aria-live': 'polite'});

/** A short message in the corner that goes away by itself. */
export function toast(text, {kind = 'ok', testid} = {}) {
    if (!toasts.isConnected) document.body.append(toasts);
    const item = h('p', {class: `toast toast-${kind}`, testid}, text);
    toasts.append(item);
    setTimeout(() => item.remove(), 8000);
}
