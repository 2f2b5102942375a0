/**
 * A bar chart drawn as SVG with the console's own code (no library may be loaded). Sized in real pixels for
 * the width it gets, so its text stays readable on a phone; colours come from the style sheet's classes.
 */
import {svg} from './dom.js';

const HEIGHT = 260;
const MARGIN = {top: 16, right: 8, bottom: 40, left: 72};

/**
 * `bars`: [{label, sublabel, value (a number), title, marked}]; `formatTick(value)` writes the axis values.
 * A marked bar gets a star over it (the page says what it means).
 */
export function barChart({bars, width, formatTick, label, testid}) {
    const plotWidth = width - MARGIN.left - MARGIN.right;
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const ticks = niceTicks(Math.max(0, ...bars.map((bar) => bar.value)));
    const ceiling = ticks.at(-1);
    const y = (value) => MARGIN.top + plotHeight - (value / ceiling) * plotHeight;
    const labelY = HEIGHT - MARGIN.bottom + 16;
    const slot = plotWidth / bars.length;
    const barWidth = Math.max(4, slot * 0.64);
    const everyOther = slot < 34;
    const text = (className, x, textY, content) =>
        svg('text', {class: className, x, y: textY, 'text-anchor': 'middle'}, content);

    return svg('svg', {
        class: 'chart', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', testid,
        'aria-label': label,
    },
    ticks.map((tick) => svg('g', {class: 'tick'},
        svg('line', {x1: MARGIN.left, x2: width - MARGIN.right, y1: y(tick), y2: y(tick)}),
        svg('text', {x: MARGIN.left - 6, y: y(tick), dy: '0.32em', 'text-anchor': 'end'}, formatTick(tick)))),
    bars.map((bar, index) => {
        const x = MARGIN.left + slot * index + (slot - barWidth) / 2;
        const center = x + barWidth / 2;
        const top = y(bar.value);
        // Too narrow for every label: every other one, counted back from the newest month, which always shows;
        // a hidden label's year line moves to the next label shown.
        const showLabel = !everyOther || (bars.length - 1 - index) % 2 === 0;
        const sublabel = bar.sublabel || (everyOther && bars[index - 1]?.sublabel);
        return svg('g', {class: 'bar-group'},
            svg('rect', {class: 'bar', x, y: top, width: barWidth, height: y(0) - top, rx: 2},
                svg('title', {}, bar.title)),
            bar.marked && text('bar-mark', center, top - 4, '*'),
            showLabel && text('axis-label', center, labelY, bar.label),
            showLabel && sublabel && text('axis-sublabel', center, labelY + 14, sublabel));
    }),
    svg('line', {class: 'axis', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(0), y2: y(0)}));
}

/** Round axis values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten, about four of them. */
function niceTicks(max) {
    if (max <= 0) return [0, 1];
    const rough = max / 4;
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough);
    const ticks = [];
    for (let value = 0; value < max + step; value += step) ticks.push(value);
    return ticks.at(-1) >= max ? ticks : [...ticks, ticks.at(-1) + step];
}
