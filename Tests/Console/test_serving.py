"""How the proxy serves the console, checked over plain HTTP (no browser): the content security policy, the
file types, compression, revalidation (a new version is never served stale), the size budget, and that no file
of Web/ holds what that policy forbids or what would insert text as HTML."""

import gzip
import os
import re
import unittest
import urllib.error
import urllib.request

BASE_URL = os.environ.get("CONSOLE_URL", "http://127.0.0.1:8080").rstrip("/")
WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Web")
# The budget for every asset together, before compression.
BUDGET = 150 * 1024


def fetch(path, headers=None):
    """(status, headers with lower-case names, body) of GET `path` through the proxy, without decompressing."""
    request = urllib.request.Request(BASE_URL + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def web_files():
    """Every file of Web/, as paths relative to it."""
    for folder, _, names in os.walk(WEB):
        for name in names:
            yield os.path.relpath(os.path.join(folder, name), WEB)


class ServingTest(unittest.TestCase):
    def test_page_has_a_strict_policy_and_is_revalidated(self):
        status, headers, body = fetch("/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        policy = headers["content-security-policy"]
        for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                          "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"):
            self.assertIn(directive, policy)
        self.assertNotIn("unsafe", policy)
        self.assertEqual(headers["cache-control"], "no-cache")
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(headers["x-frame-options"], "DENY")
        etag = headers["etag"]
        status, _, body = fetch("/", {"If-None-Match": etag})
        self.assertEqual(status, 304, "an unchanged page costs a 304")
        self.assertEqual(body, b"")

    def test_every_asset_is_served_with_its_type_compressed_and_revalidated(self):
        types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml; charset=utf-8"}
        for path in web_files():
            if path == "index.html":
                continue
            with self.subTest(path=path):
                status, headers, body = fetch("/" + path.replace(os.sep, "/"), {"Accept-Encoding": "gzip"})
                self.assertEqual(status, 200)
                extension = os.path.splitext(path)[1]
                if extension in types:
                    self.assertEqual(headers["content-type"], types[extension])
                self.assertEqual(headers["cache-control"], "no-cache")
                self.assertIn("etag", headers)
                self.assertIn("content-security-policy", headers)
                with open(os.path.join(WEB, path), "rb") as file:
                    original = file.read()
                if len(original) >= 256 and extension in types:
                    self.assertEqual(headers.get("content-encoding"), "gzip")
                    self.assertEqual(gzip.decompress(body), original)
                    self.assertLess(len(body), len(original))

    def test_unknown_paths_stay_problems(self):
        for path in ("/nothing/here", "/assets/missing.js", "/index.htm", "/api/nothing"):
            with self.subTest(path=path):
                status, headers, _ = fetch(path)
                self.assertEqual(status, 404)
                self.assertEqual(headers["content-type"], "application/problem+json")

    def test_the_assets_fit_the_budget(self):
        total = sum(os.path.getsize(os.path.join(WEB, path)) for path in web_files())
        self.assertLessEqual(total, BUDGET, f"Web/ holds {total} bytes")

    def test_no_file_holds_what_the_policy_forbids_or_inserts_text_as_html(self):
        html, js = (".html",), (".js",)
        forbidden = [
            (html, r"<script(?![^>]*\bsrc=)[^>]*>", "an inline script"),
            (html, r"<style", "an inline style sheet"),
            (html, r"\sstyle\s*=", "a style attribute"),
            (html, r"\son[a-z]+\s*=", "an inline event handler"),
            (js, r"\beval\s*\(|new Function\s*\(", "code made from text"),
            (js, r"\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write", "text inserted as HTML"),
            (js, r"setAttribute\(\s*['\"]style['\"]", "a style attribute set from code"),
            (html, r"(src|href)\s*=\s*[\"']?(https?:)?//", "a resource from another origin"),
            (js, r"(from|import\(|fetch\()\s*[\"'](https?:)?//", "a resource from another origin"),
            ((".css",), r"url\(\s*[\"']?(https?:)?//|@import", "a resource from another origin"),
        ]
        for path in web_files():
            with open(os.path.join(WEB, path), encoding="utf-8") as file:
                text = file.read()
            for extensions, pattern, what in forbidden:
                if path.endswith(extensions):
                    with self.subTest(path=path, rule=what):
                        self.assertIsNone(re.search(pattern, text), f"{path} holds {what}")


if __name__ == "__main__":
    unittest.main()
