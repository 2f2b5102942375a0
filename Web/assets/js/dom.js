/**
 * The one way the console makes elements. Text always goes in as text nodes, never as HTML, so nothing a
 * user or the server wrote can become markup (and the Content-Security-Policy forbids inline style and script).
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An element with attributes and children: `h('button', {class: 'primary', onclick: save}, 'Сохранить')`.
 * An `on…` function becomes a listener, `testid` becomes `data-testid`, a boolean sets or leaves out the
 * attribute, null and undefined are skipped; strings and numbers among the children become text nodes.
 */
export function h(tag, attrs = {}, ...children) {
    return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements (the revenue chart). */
export function svg(tag, attrs = {}, ...children) {
    return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(element, attrs, children) {
    // Children first: a select's value can only be set once its options are in.
    append(element, ...children);
    for (const [name, value] of Object.entries(attrs ?? {})) {
        if (value === null || value === undefined || value === false) continue;
        if (name.startsWith('on') && typeof value === 'function') {
            element.addEventListener(name.slice(2), value);
        } else if (name === 'testid') {
            element.setAttribute('data-testid', value);
        } else if (name === 'value' && 'value' in element) {
            element.value = value;
        } else {
            element.setAttribute(name, value === true ? '' : String(value));
        }
    }
    return element;
}

/**
 * Appends children (nested arrays allowed; null, undefined and false skipped, where the DOM's own append
 * would write "null"). Pages add their content with this.
 */
export function append(parent, ...children) {
    for (const child of children.flat(Infinity)) {
        if (child === null || child === undefined || child === false) continue;
        parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return parent;
}

/** Replaces every child of `parent` with `children`. */
export function replace(parent, ...children) {
    parent.replaceChildren();
    return append(parent, ...children);
}
