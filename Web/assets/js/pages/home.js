/**
 * Home: today's exchange rates (admins can load a set from CBR), the organization's figures and the revenue of
 * the last twelve months. The three load independently, so one failing leaves the others readable.
 */
import {append, h, replace} from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as format from '../format.js';
import {QUOTE_STATUSES} from '../labels.js';
import {barChart} from '../chart.js';
import {busy, errorBox, loading, notice} from '../ui.js';

const CARD_CURRENCIES = ['USD', 'EUR', 'CNY'];

export function render(view) {
    const me = session.me();
    append(view,
        h('h1', {id: 'page-title'}, 'Главная'),
        h('p', {class: 'lead'}, `${me.profile.full_name}, ${me.organization.name}`),
        h('div', {class: 'grid home-grid'}, ratesCard(), statsCard()),
        trendsCard());
}

/** A card whose body loads with `load(body, options)`, showing progress, and a failure with a retry. */
function section({title, testid, tools, load}) {
    const body = h('div', {class: 'card-body'});
    const card = h('section', {class: 'card', testid},
        h('div', {class: 'card-head'}, h('h2', {}, title), tools), body);
    async function show(options) {
        replace(body, loading());
        try {
            await load(body, options);
        } catch (error) {
            replace(body, errorBox(error, () => show(options)));
        }
    }
    show();
    return {card, show};
}

function ratesCard() {
    const result = h('div', {class: 'load-result', 'aria-live': 'polite'});
    const loadButton = session.isAdmin() && h('button', {
        type: 'button', class: 'button small', testid: 'rates-load',
        onclick: () => loadFromCbr(loadButton),
    }, 'Загрузить курсы');
    const {card, show} = section({title: 'Курсы ЦБ РФ', testid: 'rates-card', tools: loadButton, load: showRates});

    async function loadFromCbr(button) {
        replace(result);
        try {
            const answer = await busy(button, () => api.send('POST', '/api/exchange-rates/load'));
            const sets = answer.new_sets.length
                ? `новые наборы: ${answer.new_sets.map(format.day).join(', ')}`
                : 'новых наборов нет';
            replace(result, notice(`ЦБ ответил набором на ${format.day(answer.date)}; ${sets}.`, 'rates-load-result'));
            await show({revalidate: true});
        } catch (error) {
            replace(result, errorBox(error, () => loadFromCbr(button)));
        }
    }

    card.append(result);
    return card;
}

async function showRates(body, options) {
    const rates = await api.get('/api/exchange-rates', undefined, options);
    const codes = [...CARD_CURRENCIES, ...Object.keys(rates.details).filter((code) => !CARD_CURRENCIES.includes(code))];
    replace(body,
        h('p', {class: 'muted', testid: 'rates-date'}, rates.date === rates.requested_date
            ? `Набор на сегодня, ${format.day(rates.date)}`
            : `Последний набор ЦБ — на ${format.day(rates.date)} (сегодня ${format.day(rates.requested_date)})`),
        rates.stale && h('div', {class: 'alert alert-warning', testid: 'rates-stale'},
            h('strong', {}, 'Курсы могут быть неактуальны. '), rates.stale_reason ?? ''),
        h('ul', {class: 'rates'}, codes.map((code) => rateRow(code, rates.details[code]))),
        rates.previous_date && h('p', {class: 'muted'}, `Изменение — к набору на ${format.day(rates.previous_date)}.`));
}

function rateRow(code, detail) {
    if (!detail) {
        return h('li', {class: 'rate', testid: `rate-${code}`},
            h('span', {class: 'rate-code'}, code), h('span', {class: 'rate-name'}, 'нет в наборе'));
    }
    return h('li', {class: 'rate', testid: `rate-${code}`},
        h('span', {class: 'rate-code'}, code),
        h('span', {class: 'rate-name'}, detail.name),
        h('span', {class: 'rate-value', testid: `rate-${code}-value`}, format.rate(detail.rate)),
        h('span', {class: `rate-change ${direction(detail.change)}`}, detail.change === undefined
            ? 'нет предыдущего набора'
            : `${format.rateChange(detail.change)} (${format.percentChange(detail.change_pct)})`));
}

function statsCard() {
    return section({title: 'Показатели', testid: 'stats-card', load: showStats}).card;
}

async function showStats(body) {
    const stats = await api.get('/api/dashboard/stats');
    const {customers, quotes, revenue} = stats;
    const thisMonth = format.month(format.todayInMoscow().slice(0, 7));
    replace(body,
        h('div', {class: 'figures'},
            figure('Клиенты', format.integer(customers.total), 'stats-customers-total',
                `новых в этом месяце: ${format.integer(customers.new_this_month)}`),
            figure(`Выручка, ${thisMonth}`, format.money(revenue.this_month), 'stats-revenue-this-month',
                revenueComparison(revenue)),
            figure('Коммерческие предложения', format.integer(quotes.total), 'stats-quotes-total',
                `в этом месяце: ${format.integer(quotes.this_month)}`)),
        h('ul', {class: 'statuses', 'aria-label': 'КП по статусам'},
            Object.entries(QUOTE_STATUSES).map(([status, name]) => h('li', {testid: `stats-quotes-${status}`},
                h('span', {}, name), h('strong', {}, format.integer(quotes.by_status[status] ?? 0))))),
        h('p', {class: 'muted'}, `Выручка за всё время: ${format.money(revenue.total)}`),
        unconverted(revenue.unconverted, 'stats-unconverted'),
        h('p', {class: 'muted small'}, `Рассчитано ${format.dateTime(stats.computed_at)}`));
}

function figure(title, value, testid, sub) {
    return h('div', {class: 'figure'}, h('span', {class: 'figure-title'}, title),
        h('strong', {class: 'figure-value', testid}, value), h('span', {class: 'figure-sub'}, sub));
}

function revenueComparison(revenue) {
    const last = `в прошлом месяце: ${format.money(revenue.last_month)}`;
    if (revenue.change_pct === undefined) return last;
    return h('span', {}, `${last} · `, h('span', {class: direction(revenue.change_pct), testid: 'stats-revenue-change'},
        format.percentChange(revenue.change_pct)));
}

/** The colour of a change: up, down or flat (none given counts as flat). */
function direction(change) {
    const value = Number(change ?? 0);
    if (value > 0) return 'up';
    return value < 0 ? 'down' : 'flat';
}

/** Accepted amounts without a CBR rate for their day: kept apart, never mixed into rubles. */
function unconverted(amounts, testid) {
    const entries = Object.entries(amounts ?? {});
    if (!entries.length) return null;
    return h('p', {class: 'alert alert-info', testid},
        'Не пересчитано в рубли (нет курса ЦБ на день принятия): ',
        entries.map(([currency, amount]) => format.money(amount, currency)).join(' · '));
}

function trendsCard() {
    return section({title: 'Выручка за 12 месяцев', testid: 'trends-card', load: showTrends}).card;
}

async function showTrends(body) {
    const trends = await api.get('/api/dashboard/revenue-trends', {months: 12});
    const holder = h('div', {class: 'chart-holder'});
    const anyUnconverted = trends.items.some((item) => Object.keys(item.unconverted).length);
    const bars = trends.items.map((item, index) => ({
        label: format.monthShort(item.month),
        sublabel: index === 0 || item.month.endsWith('-01') ? item.month.slice(0, 4) : '',
        value: Number(item.revenue),
        marked: Object.keys(item.unconverted).length > 0,
        title: `${format.month(item.month)}: ${format.money(item.revenue)}, `
            + `принято КП: ${format.integer(item.accepted_quotes)}`,
    }));
    const noneAccepted = trends.items.every((item) => item.accepted_quotes === 0);
    replace(body, holder,
        noneAccepted && h('p', {class: 'muted'}, 'За эти месяцы принятых КП нет.'),
        anyUnconverted && h('p', {class: 'muted small'},
            '* в этом месяце есть суммы без курса ЦБ, они не вошли в выручку.'));
    const first = format.month(trends.items[0].month);
    const last = format.month(trends.items.at(-1).month);
    drawOnResize(holder, (width) => barChart({
        bars, width, formatTick: format.moneyCompact, testid: 'revenue-chart',
        label: `Выручка по месяцам с ${first} по ${last}`,
    }));
}

/** Draws again whenever the holder's width changes (a rotated phone, a resized window). */
function drawOnResize(holder, draw) {
    let width = 0;
    const observer = new ResizeObserver(() => {
        if (!holder.isConnected) return observer.disconnect();
        const next = Math.floor(holder.clientWidth);
        if (next > 0 && next !== width) {
            width = next;
            replace(holder, draw(width));
        }
    });
    observer.observe(holder);
}
