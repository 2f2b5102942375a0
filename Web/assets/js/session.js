/**
 * Who is signed in: the caller as `GET /api/users/me` answers (user, profile, organization), loaded once per
 * session and replaced when a page changes it, so the navigation and the pages agree on name and role.
 */
import * as api from './api.js';

let current = null;
const listeners = new Set();

/** The signed-in caller ({user, profile, organization}), or null. */
export const me = () => current;

export const isAdmin = () => current?.user.role === 'admin';

/** Calls `listener(me)` whenever the caller changes (signed in, out, or their details changed). */
export function onChange(listener) {
    listeners.add(listener);
}

/** Loads the caller after the API has a token (sign-in, registration or a resumed session). */
export async function load() {
    set(await api.get('/api/users/me'));
}

/** Replaces the parts of the caller a page has just changed: `update({organization})`. */
export function update(parts) {
    set({...current, ...parts});
}

/** Forgets the caller (signed out). */
export function clear() {
    set(null);
}

function set(value) {
    current = value;
    for (const listener of listeners) listener(current);
}
