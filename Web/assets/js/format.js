/**
 * Numbers, money, dates and times the Russian way, times in Moscow time. Amounts arrive as decimal strings
 * ("1234.5") and are passed to Intl as strings, which formats them exactly (no binary floating point).
 */

const LOCALE = 'ru-RU';
const ZONE = 'Europe/Moscow';

const integerFormat = new Intl.NumberFormat(LOCALE);
const rubles = new Intl.NumberFormat(LOCALE, {style: 'currency', currency: 'RUB'});
const rubleRate = new Intl.NumberFormat(LOCALE, {minimumFractionDigits: 2, maximumFractionDigits: 4});
const signedRate = new Intl.NumberFormat(LOCALE, {
    signDisplay: 'exceptZero', minimumFractionDigits: 2, maximumFractionDigits: 4,
});
const signedPercent = new Intl.NumberFormat(LOCALE, {signDisplay: 'exceptZero', maximumFractionDigits: 2});
const compactRubles = new Intl.NumberFormat(LOCALE, {
    notation: 'compact', style: 'currency', currency: 'RUB', minimumFractionDigits: 0, maximumFractionDigits: 1,
});
const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, {
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: ZONE,
});
const timeFormat = new Intl.DateTimeFormat(LOCALE, {hour: '2-digit', minute: '2-digit', timeZone: ZONE});
const monthFormat = new Intl.DateTimeFormat(LOCALE, {month: 'long', year: 'numeric', timeZone: 'UTC'});
/** `YYYY-MM-DD`: the Canadian English form is the ISO one. */
const isoDayInMoscow = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric', month: '2-digit', day: '2-digit', timeZone: ZONE,
});
const SHORT_MONTHS = ['янв', 'фев', 'мар', 'апр', 'май', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'];

/** 1 234 567 */
export const integer = (value) => integerFormat.format(value);

/** 1 234 567,89 ₽ for RUB; other currencies with their code (799 233,73 CNY), so CNY and JPY never look alike. */
export function money(amount, currency = 'RUB') {
    if (currency === 'RUB') return rubles.format(amount);
    return new Intl.NumberFormat(LOCALE, {style: 'currency', currency, currencyDisplay: 'code'}).format(amount);
}

/** An axis label: 106,6 млн ₽. */
export const moneyCompact = (amount) => compactRubles.format(amount);

/** A rate in rubles per unit: 81,0517 ₽. */
export const rate = (value) => `${rubleRate.format(value)} ₽`;

/** A change of a rate: +0,1234 ₽, -0,50 ₽. */
export const rateChange = (value) => `${signedRate.format(value)} ₽`;

/** A change in percent, given as a decimal string of percents: +1,5 %. */
export const percentChange = (value) => `${signedPercent.format(value)} %`;

/** A calendar day `YYYY-MM-DD` as 05.12.2026 (no time zone involved: the day is the day). */
export function day(value) {
    const [year, month, date] = value.split('-');
    return `${date}.${month}.${year}`;
}

/** An instant in Moscow time: 05.12.2026, 12:40. */
export const dateTime = (instant) => dateTimeFormat.format(new Date(instant));

/** A month `YYYY-MM` in full: март 2026 (without Intl's «г.»). */
export const month = (value) => monthFormat.format(new Date(`${value}-01T00:00:00Z`)).replace(/\s*г\.$/, '');

/** A month `YYYY-MM` as a short label for an axis: мар. */
export const monthShort = (value) => SHORT_MONTHS[Number(value.slice(5, 7)) - 1];

/** Today in Moscow as `YYYY-MM-DD`. */
export const todayInMoscow = () => isoDayInMoscow.format(new Date());

/**
 * A filter's days `YYYY-MM-DD` (either may be empty) as the instants the API's `from` and `to` take: the start
 * of the first Moscow day and the end of the last (Moscow keeps UTC+3 all year). The API would read a bare
 * day as a UTC day, three hours off what the user sees in the lists.
 */
export function moscowDays(first, last) {
    const start = (isoDay) => `${isoDay}T00:00:00+03:00`;
    let end;
    if (last) {
        const next = new Date(`${last}T00:00:00Z`);
        next.setUTCDate(next.getUTCDate() + 1);
        end = start(next.toISOString().slice(0, 10));
    }
    return {from: first ? start(first) : undefined, to: end};
}

/** How long to wait, in words: «через 40 с», «через 15 мин (в 12:55)». */
export function waitFor(seconds) {
    if (seconds < 60) return `через ${seconds} с`;
    const minutes = Math.ceil(seconds / 60);
    return `через ${integer(minutes)} мин (в ${timeFormat.format(new Date(Date.now() + seconds * 1000))})`;
}
