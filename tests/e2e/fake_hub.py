#!/usr/bin/env python3
"""A local stand-in for the Hugging Face Hub, for the fetch tests (127.0.0.1 only).

Serves a folder laid out as <root>/datasets/<org>/<name>/... and <root>/models/<org>/<name>/...
through the Hub's endpoints:
  GET /api/{datasets|models}/<org>/<name>/tree/<rev>[/<path>]?recursive=true[&cursor=N]
      -> JSON array of {"type","oid","size","path"[,"lfs":{"oid","size","pointerSize"}]},
         paginated with `Link: <...>; rel="next"` (--page-size)
  GET /[datasets/]<org>/<name>/resolve/<rev>/<path>
      -> the file (LFS files: a 302 to /cdn/..., as the Hub redirects to its CDN), with Range.
Faults for the tests: --drop-after/--drop-count (close the connection mid-body), --corrupt PATH
(serve flipped bytes while listing the true checksums), --gated REPO with --token (401 GatedRepo
without the bearer token). Every request is appended to --log with its Range header.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlparse

LFS_SUFFIXES = (".zip", ".safetensors", ".parquet")


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class State:
    def __init__(self, args):
        self.args = args
        self.drops_left = args.drop_count
        self.lock = threading.Lock()

    def log(self, line):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(line + "\n")


def make_handler(state):
    args = state.args

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def send_json(self, status, obj, headers=None):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def error(self, status, code, message):
            self.send_json(status, {"error": message},
                           {"X-Error-Code": code, "X-Error-Message": message})

        def repo_dir(self, kind, repo):
            return os.path.join(args.root, kind, repo)

        def authorised(self, kind, repo):
            if f"{kind}/{repo}" not in args.gated:
                return True
            return self.headers.get("Authorization") == f"Bearer {args.token}"

        def do_GET(self):
            url = urlparse(self.path)
            parts = [unquote(p) for p in url.path.split("/") if p]
            state.log(f"GET {self.path} range={self.headers.get('Range', '-')} "
                      f"auth={'yes' if self.headers.get('Authorization') else 'no'}")
            if parts[:1] == ["api"]:
                return self.tree(parts[1:], parse_qs(url.query))
            if parts[:1] == ["cdn"]:
                return self.file(parts[1], "/".join(parts[2:4]), "/".join(parts[5:]), cdn=True)
            kind = "models"
            if parts[:1] == ["datasets"]:
                kind, parts = "datasets", parts[1:]
            if len(parts) >= 5 and parts[2] == "resolve":
                return self.file(kind, "/".join(parts[:2]), "/".join(parts[4:]), rev=parts[3])
            self.error(404, "RepoNotFound", "no such route")

        def tree(self, parts, query):
            # {datasets|models}/<org>/<name>/tree/<rev>[/<path>]
            if len(parts) < 5 or parts[3] != "tree":
                return self.error(404, "RepoNotFound", "bad API path")
            kind, repo, rev, sub = parts[0], "/".join(parts[1:3]), parts[4], "/".join(parts[5:])
            root = self.repo_dir(kind, repo)
            if not os.path.isdir(root):
                return self.error(401 if args.gated else 404, "RepoNotFound", "Repository not found")
            if not self.authorised(kind, repo):
                return self.error(401, "GatedRepo", "Access to this repository is restricted")
            if rev != "main":
                return self.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            entries = []
            for dirpath, dirnames, filenames in os.walk(os.path.join(root, sub)):
                dirnames.sort()
                for name in sorted(filenames):
                    full = os.path.join(dirpath, name)
                    rel = os.path.relpath(full, root)
                    data = open(full, "rb").read()
                    e = {"type": "file", "oid": git_blob_sha1(data), "size": len(data), "path": rel}
                    if rel.endswith(LFS_SUFFIXES):
                        e["oid"] = hashlib.sha1(rel.encode()).hexdigest()  # the pointer's blob
                        e["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data),
                                    "pointerSize": 134}
                    entries.append(e)
            start = int(query.get("cursor", ["0"])[0])
            page = entries[start:start + args.page_size]
            headers = {}
            if start + args.page_size < len(entries):
                nxt = (f"http://{self.headers['Host']}/api/{kind}/{repo}/tree/{rev}"
                       f"{'/' + quote(sub) if sub else ''}?recursive=true&cursor={start + args.page_size}")
                headers["Link"] = f'<{nxt}>; rel="next"'
            self.send_json(200, page, headers)

        def file(self, kind, repo, path, rev="main", cdn=False):
            full = os.path.join(self.repo_dir(kind, repo), path)
            if not cdn and not self.authorised(kind, repo):
                return self.error(401, "GatedRepo", "Access to this repository is restricted")
            if not os.path.isfile(full):
                return self.error(404, "EntryNotFound", f"{path} does not exist")
            if not cdn and path.endswith(LFS_SUFFIXES):
                self.send_response(302)
                self.send_header("Location", f"/cdn/{kind}/{repo}/main/{quote(path)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = open(full, "rb").read()
            if f"{kind}/{repo}/{path}" in args.corrupt:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and rng.endswith("-") and not args.ignore_range:
                start = int(rng[6:-1])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"%s"' % hashlib.sha256(data).hexdigest())
            self.end_headers()
            with state.lock:
                drop = state.drops_left > 0 and len(body) > args.drop_after
                if drop:
                    state.drops_left -= 1
            if drop:
                self.wfile.write(body[:args.drop_after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True, help="written with the port once listening")
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--drop-after", type=int, default=0)
    p.add_argument("--drop-count", type=int, default=0)
    p.add_argument("--corrupt", action="append", default=[], help="kind/org/name/path")
    p.add_argument("--gated", action="append", default=[], help="kind/org/name")
    p.add_argument("--token", default="")
    p.add_argument("--ignore-range", action="store_true")
    p.add_argument("--log")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(State(args)))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
