/**
 * The one fetch wrapper: every API call goes through here. It keeps the access token in memory only (never in
 * storage a script could read later), lets the users service keep the refresh token in an HttpOnly cookie
 * (cookie session mode), refreshes once and retries when a call meets a 401, and turns every failure into an
 * ApiError that carries the problem's words, its field errors and Retry-After.
 */

const SESSION_MODE = {'X-Session-Mode': 'cookie'};
/**
 * Not a secret: only whether this browser signed in and did not sign out. Without it the first page load skips
 * the refresh call, whose 401 the browser would otherwise log as an error on every visit of a signed-out user.
 */
const SESSION_HINT = 'quoting.sessionHint';

let accessToken = null;
/** The refresh in flight: calls that meet a 401 at the same time wait for the same one. */
let refreshing = null;
const signedOutListeners = new Set();

/**
 * A failed call: `status` 0 when the server was not reached; `detail` the problem's words (empty when the
 * answer had none), which the interface shows after its own (ui.errorText).
 */
export class ApiError extends Error {
    constructor(status, problem = {}, retryAfter = null) {
        const detail = problem.detail || problem.title || '';
        super(detail || `HTTP ${status}`);
        this.status = status;
        this.detail = detail;
        this.errors = Array.isArray(problem.errors) ? problem.errors : [];
        this.retryAfter = retryAfter;
    }

    /** Whether trying the same thing again later may work: no connection, or the server is briefly unavailable. */
    get retryable() {
        return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
    }
}

/** Calls `listener()` when the session ends without the user signing out (a refresh was refused). */
export function onSignedOut(listener) {
    signedOutListeners.add(listener);
}

/**
 * GET and parse JSON. `revalidate`: ask the server even when the browser holds a fresh copy (rates answers are
 * cacheable, but a load from CBR can change them before their max-age is over).
 */
export const get = (path, query, {revalidate = false} = {}) => request('GET', path, {query, revalidate});

/** Sends a JSON body (or none) and parses the JSON answer; null for 204. */
export const send = (method, path, body, headers) => request(method, path, {body, headers});

async function request(method, path, options) {
    const response = await call(method, path, options);
    return response.status === 204 ? null : response.json();
}

/** A file the API answers, as a blob with the name Content-Disposition gives it. */
export async function download(path, query) {
    const response = await call('GET', path, {query});
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'download';
    return {blob: await response.blob(), filename};
}

/** Signs in; the answer's access token is kept, the refresh token goes into the cookie. */
export const signIn = (email, password) => startSession('/api/auth/login', {email, password});

/** Registers an organization and its admin, who is then signed in. */
export const register = (fields) => startSession('/api/auth/register', fields);

async function startSession(path, body) {
    const answer = await request('POST', path, {body, headers: SESSION_MODE, authorize: false});
    accessToken = answer.access_token;
    localStorage.setItem(SESSION_HINT, '1');
    return answer;
}

/** On page load: continues the session the cookie holds, if this browser has one. */
export async function resume() {
    if (!localStorage.getItem(SESSION_HINT)) return false;
    return refresh();
}

/**
 * Exchanges the cookie for a new access token: true when it worked, false when the session is over (the
 * cookie is missing, expired or revoked); throws on any other failure (no connection, 503). Tabs of the
 * console take turns (a Web Lock): each refresh replaces the cookie, and two tabs sending the same one at
 * once would look like a stolen token to the server, which then ends the session.
 */
function refresh() {
    refreshing ??= navigator.locks.request('quoting.refresh', async () => {
        try {
            const answer = await request('POST', '/api/auth/refresh', {headers: SESSION_MODE, authorize: false});
            accessToken = answer.access_token;
            return true;
        } catch (error) {
            if (!(error instanceof ApiError) || error.retryable || error.status === 429) throw error;
            const ended = accessToken !== null;
            forget();
            // Once per ending, however many calls were waiting for this refresh; not when there was no session.
            if (ended) for (const listener of signedOutListeners) listener();
            return false;
        } finally {
            refreshing = null;
        }
    });
    return refreshing;
}

/** Signs out: the server revokes the session and clears the cookie; this tab forgets the token either way. */
export async function signOut() {
    try {
        await request('POST', '/api/auth/logout', {headers: SESSION_MODE, authorize: false});
    } finally {
        forget();
    }
}

/** Forgets the session on this side only: after a password change the server has already ended it. */
export function forget() {
    accessToken = null;
    localStorage.removeItem(SESSION_HINT);
}

/** One fetch: `authorize` sends the access token, and then a 401 is refreshed and retried once (`retry`). */
async function call(method, path, options = {}) {
    const {query, body, headers = {}, authorize = true, retry = true, revalidate = false} = options;
    const init = {method, headers: {Accept: 'application/json', ...headers}, credentials: 'same-origin'};
    if (revalidate) init.cache = 'no-cache';
    if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers['Content-Type'] = 'application/json';
    }
    if (authorize && accessToken) init.headers.Authorization = `Bearer ${accessToken}`;
    let response;
    try {
        response = await fetch(withQuery(path, query), init);
    } catch {
        throw new ApiError(0);
    }
    if (response.status === 401 && authorize && retry && await refresh()) {
        return call(method, path, {...options, retry: false});
    }
    if (!response.ok) throw await problemOf(response);
    return response;
}

function withQuery(path, query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
        if (value !== undefined && value !== null && value !== '') params.set(name, value);
    }
    const text = params.toString();
    return text ? `${path}?${text}` : path;
}

async function problemOf(response) {
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
    let problem = {};
    if ((response.headers.get('Content-Type') ?? '').includes('json')) {
        problem = await response.json().catch(() => ({}));
    }
    return new ApiError(response.status, problem, Number.isFinite(retryAfter) ? retryAfter : null);
}
