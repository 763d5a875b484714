"""A fake GitHub REST API on 127.0.0.1, for tests that drive unmodified PyGithub.

It keeps repositories in memory (refs, blobs, trees, commits, pull requests, labels) and answers
the endpoints the product uses with GitHub's status codes and messages where PyGithub or the
product depend on them: 401 "Bad credentials", 403 for a token without write access, 404 "Not
Found", 422 "Validation Failed" with GitHub's error entries, pagination by `Link` headers and
rate-limit headers. Every object carries `url` fields built from the fake's own base URL (with a
GitHub Enterprise style `/api/v3` prefix), because PyGithub follows them.

Simplifications: trees are flat (path -> blob), and a commit's sha is unique per commit rather
than a hash of its content; nothing the product relies on depends on either.

Use it as a context manager or through the `fake_github` fixture (import
`fake_github_fixture` from this module, or list it in `pytest_plugins` of the root conftest):

    with FakeGitHub(files={"policies/allow.json": "{}"}) as fake:
        publish(draft, token=fake.token, repository=fake.repo.full_name, api_url=fake.url)
        assert fake.repo.read("scp-recommender/proposals", "policies/allow.json") == ...
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest

PREFIX = "/api/v3"
PER_PAGE_DEFAULT = 30
PER_PAGE_MAX = 100
RATE_LIMIT = 5000

Json = Any


class ApiError(Exception):
    """An error answer: GitHub's status and JSON body."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, **extra}


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def validation_failed(*errors: dict[str, str]) -> ApiError:
    return ApiError(422, "Validation Failed", errors=list(errors))


def pull_request_error(**entry: str) -> ApiError:
    return validation_failed({"resource": "PullRequest", **entry})


@dataclass
class FakeCommit:
    sha: str
    tree: str
    parents: list[str]
    message: str


@dataclass
class FakePull:
    number: int
    title: str
    body: str
    head: str
    base: str
    state: str = "open"
    labels: list[str] = field(default_factory=list)


@dataclass
class FakeLabel:
    name: str
    color: str
    description: str = ""


@dataclass
class FakeRepo:
    """One repository's state. Branch names are given without `refs/heads/`."""

    owner: str
    name: str
    default_branch: str
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, FakePull] = field(default_factory=dict)
    labels: dict[str, FakeLabel] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def add_blob(self, data: bytes) -> str:
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        self.blobs[sha] = data
        return sha

    def add_tree(self, entries: Mapping[str, str]) -> str:
        sha = hashlib.sha1(b"tree " + json.dumps(sorted(entries.items())).encode()).hexdigest()
        self.trees[sha] = dict(entries)
        return sha

    def add_commit(self, tree: str, parents: list[str], message: str) -> FakeCommit:
        # Real commit shas hash a timestamp too; a counter keeps them unique the same way.
        seed = json.dumps([tree, parents, message, len(self.commits)]).encode()
        commit = FakeCommit(hashlib.sha1(b"commit " + seed).hexdigest(), tree, parents, message)
        self.commits[commit.sha] = commit
        return commit

    def resolve(self, ref: str) -> str | None:
        """The commit sha a branch name, `heads/x`, `refs/heads/x` or sha points to."""
        if ref in self.commits:
            return ref
        for name in (ref, f"refs/{ref}", f"refs/heads/{ref}"):
            if name in self.refs:
                return self.refs[name]
        return None

    def head(self, branch: str) -> str:
        return self.refs[f"refs/heads/{branch}"]

    def files_at(self, ref: str) -> dict[str, str]:
        sha = self.resolve(ref)
        if sha is None:
            raise KeyError(ref)
        tree = self.trees[self.commits[sha].tree]
        return {path: self.blobs[blob].decode() for path, blob in tree.items()}

    def read(self, ref: str, path: str) -> str:
        return self.files_at(ref)[path]

    def log(self, ref: str, until: str | None = None) -> list[FakeCommit]:
        """First-parent history of `ref` back to (not including) commit `until`, oldest first."""
        sha = self.resolve(ref)
        history: list[FakeCommit] = []
        while sha is not None and sha != until:
            commit = self.commits[sha]
            history.append(commit)
            sha = commit.parents[0] if commit.parents else None
        return history[::-1]

    def is_ancestor(self, ancestor: str, sha: str) -> bool:
        pending = [sha]
        while pending:
            current = pending.pop()
            if current == ancestor:
                return True
            pending.extend(self.commits[current].parents)
        return False

    def commit_files(self, branch: str, files: Mapping[str, str], message: str) -> str:
        """Commit `files` on top of `branch` (created from nothing when absent); returns the sha."""
        parent = self.refs.get(f"refs/heads/{branch}")
        entries = dict(self.trees[self.commits[parent].tree]) if parent else {}
        entries.update({path: self.add_blob(text.encode()) for path, text in files.items()})
        commit = self.add_commit(self.add_tree(entries), [parent] if parent else [], message)
        self.refs[f"refs/heads/{branch}"] = commit.sha
        return commit.sha

    def add_pull(self, head: str, base: str, title: str, state: str = "open") -> FakePull:
        pull = FakePull(len(self.pulls) + 1, title, "", head, base, state)
        self.pulls[pull.number] = pull
        return pull

    def open_pulls(self, head: str | None = None) -> list[FakePull]:
        return [
            pull
            for pull in self.pulls.values()
            if pull.state == "open" and (head is None or pull.head == head)
        ]


@dataclass
class Recorded:
    """One request as the fake saw it; `path` is relative to the API base."""

    method: str
    path: str
    query: dict[str, str]
    body: Json
    status: int = 0


@dataclass
class Failure:
    method: str
    path: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class Paged:
    """A list answer before pagination: the items and the path its `Link` URLs point to."""

    items: list[Json]
    path: str


Route = tuple[str, re.Pattern[str], Callable[..., tuple[int, Json]]]


class FakeGitHub:
    """The server and its state: `url` is the API base to give PyGithub, `token` may write."""

    token = "ghs_fake_write_token"
    read_only_token = "ghs_fake_read_only_token"

    def __init__(
        self,
        *,
        repository: str = "octo-org/policies",
        default_branch: str = "main",
        files: Mapping[str, str] | None = None,
    ) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self.hooks: list[tuple[str, str, Callable[[], object]]] = []
        self.remaining = RATE_LIMIT
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        host, port = self._server.server_address[:2]
        self.web_url = f"http://{host!s}:{port}"
        self.url = self.web_url + PREFIX
        self._tokens = (self.token, self.read_only_token)
        self.repo = self.add_repo(repository, default_branch, files or {"README.md": "SCPs\n"})
        self._routes = self._route_table()

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- what tests set up and inspect -------------------------------------------------------

    def add_repo(self, full_name: str, default_branch: str, files: Mapping[str, str]) -> FakeRepo:
        owner, name = full_name.split("/")
        repo = FakeRepo(owner, name, default_branch)
        repo.commit_files(default_branch, files, "Initial commit")
        self.repos[full_name.lower()] = repo
        return repo

    @property
    def writes(self) -> list[Recorded]:
        return [request for request in self.requests if request.method != "GET"]

    def calls(self, method: str, suffix: str = "") -> list[Recorded]:
        """Requests with this method whose path ends with `suffix`."""
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        message: str = "Server Error",
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` requests `method path` (path relative to the API base) fail."""
        body = {"message": message}
        self.failures.append(Failure(method, path, status, body, dict(headers or {}), times))

    def rate_limit_next(
        self, method: str, path: str, *, reset_at: int | None = None, times: int = 1
    ) -> None:
        """The next `times` requests `method path` hit the primary rate limit, which resets at
        `reset_at` (epoch seconds; default now)."""
        reset = int(time.time()) if reset_at is None else reset_at
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
        message = "API rate limit exceeded for installation ID 1."
        self.fail_next(method, path, 403, message, headers=headers, times=times)

    def before_next(self, method: str, path: str, action: Callable[[], object]) -> None:
        """Run `action` just before the next request `method path` is answered, e.g. to have
        another client change the state in between two calls."""
        self.hooks.append((method, path, action))

    # -- request handling --------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, raw_query: str, raw_body: bytes, authorization: str
    ) -> tuple[int, Json, dict[str, str]]:
        """One request, answered as GitHub would: status, JSON payload and headers."""
        with self._lock:
            query = {key: values[-1] for key, values in parse_qs(raw_query).items()}
            # Paths outside the API base match no route: GitHub's 404.
            path = raw_path.removeprefix(PREFIX) if raw_path.startswith(PREFIX + "/") else ""
            body = json.loads(raw_body) if raw_body else None
            record = Recorded(method, unquote(path), query, body)
            self.requests.append(record)
            self.remaining = max(self.remaining - 1, 0)
            headers = {
                "X-RateLimit-Limit": str(RATE_LIMIT),
                "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
                "X-RateLimit-Used": str(RATE_LIMIT - self.remaining),
                "X-RateLimit-Resource": "core",
            }
            try:
                status, payload = self._answer(record, path, authorization, headers)
            except ApiError as error:
                status, payload = error.status, error.body
            if isinstance(payload, Paged):
                payload, link = self._paginate(payload, query)
                if link:
                    headers["Link"] = link
            record.status = status
            return status, payload, headers

    def _answer(
        self, request: Recorded, path: str, authorization: str, headers: dict[str, str]
    ) -> tuple[int, Json]:
        method = request.method
        hook = next((hook for hook in self.hooks if hook[:2] == (method, request.path)), None)
        if hook is not None:
            self.hooks.remove(hook)
            hook[2]()
        failure = next(
            (f for f in self.failures if (f.method, f.path) == (method, request.path) and f.times),
            None,
        )
        if failure is not None:
            failure.times -= 1
            headers.update(failure.headers)
            return failure.status, failure.body
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("token", "bearer") or token not in self._tokens:
            raise ApiError(401, "Bad credentials")
        for route_method, pattern, action in self._routes:
            match = pattern.fullmatch(path)
            if route_method != method or match is None:
                continue
            groups = {key: unquote(value) for key, value in match.groupdict().items()}
            repo = self.repos.get(f"{groups.pop('owner')}/{groups.pop('name')}".lower())
            if repo is None:
                raise not_found()
            if method != "GET" and token != self.token:
                raise ApiError(403, "Resource not accessible by integration")
            return action(repo, body=request.body, query=request.query, **groups)
        raise not_found()

    def _route_table(self) -> list[Route]:
        repo = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        table: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", "", self._get_repo),
            ("GET", r"/git/ref/(?P<ref>.+)", self._get_ref),
            ("GET", r"/git/refs", self._list_refs),
            ("GET", r"/git/(?:refs|matching-refs)/(?P<prefix>.+)", self._list_refs),
            ("POST", r"/git/refs", self._create_ref),
            ("PATCH", r"/git/refs/(?P<ref>.+)", self._update_ref),
            ("DELETE", r"/git/refs/(?P<ref>.+)", self._delete_ref),
            ("POST", r"/git/blobs", self._create_blob),
            ("POST", r"/git/trees", self._create_tree),
            ("POST", r"/git/commits", self._create_commit),
            ("GET", r"/git/commits/(?P<sha>[0-9a-f]+)", self._get_commit),
            ("GET", r"/contents/(?P<path>.+)", self._get_contents),
            ("GET", r"/pulls", self._list_pulls),
            ("POST", r"/pulls", self._create_pull),
            ("GET", r"/pulls/(?P<number>\d+)", self._get_pull),
            ("PATCH", r"/pulls/(?P<number>\d+)", self._update_pull),
            ("GET", r"/labels", self._list_labels),
            ("POST", r"/labels", self._create_label),
            ("POST", r"/issues/(?P<number>\d+)/labels", self._add_issue_labels),
        ]
        return [(method, re.compile(repo + tail), action) for method, tail, action in table]

    # -- JSON shapes -------------------------------------------------------------------------

    def _api(self, repo: FakeRepo, tail: str = "") -> str:
        return f"{self.url}/repos/{repo.full_name}{tail}"

    def _repo_json(self, repo: FakeRepo) -> Json:
        return {
            "id": abs(hash(repo.full_name)) % 10**8,
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": {"login": repo.owner, "type": "Organization", "url": self._owner(repo)},
            "private": True,
            "default_branch": repo.default_branch,
            "url": self._api(repo),
            "html_url": f"{self.web_url}/{repo.full_name}",
            "permissions": {"admin": False, "push": True, "pull": True},
        }

    def _owner(self, repo: FakeRepo) -> str:
        return f"{self.url}/users/{repo.owner}"

    def _ref_json(self, repo: FakeRepo, ref: str) -> Json:
        sha = repo.refs[ref]
        return {
            "ref": ref,
            "node_id": f"REF_{ref}",
            "url": self._api(repo, f"/git/{quote(ref)}"),
            "object": {"sha": sha, "type": "commit", "url": self._api(repo, f"/git/commits/{sha}")},
        }

    def _tree_json(self, repo: FakeRepo, sha: str) -> Json:
        entries = [
            {
                "path": path,
                "mode": "100644",
                "type": "blob",
                "sha": blob,
                "size": len(repo.blobs[blob]),
                "url": self._api(repo, f"/git/blobs/{blob}"),
            }
            for path, blob in sorted(repo.trees[sha].items())
        ]
        return {
            "sha": sha,
            "url": self._api(repo, f"/git/trees/{sha}"),
            "tree": entries,
            "truncated": False,
        }

    def _commit_json(self, repo: FakeRepo, commit: FakeCommit) -> Json:
        person = {
            "name": "scp-recommender",
            "email": "bot@example.com",
            "date": "2026-11-27T10:00:00Z",
        }
        return {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha}",
            "url": self._api(repo, f"/git/commits/{commit.sha}"),
            "html_url": f"{self.web_url}/{repo.full_name}/commit/{commit.sha}",
            "message": commit.message,
            "author": person,
            "committer": person,
            "tree": {"sha": commit.tree, "url": self._api(repo, f"/git/trees/{commit.tree}")},
            "parents": [
                {"sha": parent, "url": self._api(repo, f"/git/commits/{parent}")}
                for parent in commit.parents
            ],
        }

    def _label_json(self, repo: FakeRepo, label: FakeLabel) -> Json:
        return {
            "id": abs(hash(label.name)) % 10**8,
            "node_id": f"LA_{label.name}",
            "url": self._api(repo, f"/labels/{quote(label.name, safe='')}"),
            "name": label.name,
            "color": label.color,
            "default": False,
            "description": label.description,
        }

    def _pull_json(self, repo: FakeRepo, pull: FakePull) -> Json:
        def part(branch: str) -> Json:
            sha = repo.refs.get(f"refs/heads/{branch}", "0" * 40)
            owner = {"login": repo.owner, "url": self._owner(repo)}
            return {"label": f"{repo.owner}:{branch}", "ref": branch, "sha": sha, "user": owner}

        return {
            "url": self._api(repo, f"/pulls/{pull.number}"),
            "id": 1000 + pull.number,
            "node_id": f"PR_{pull.number}",
            "number": pull.number,
            "html_url": f"{self.web_url}/{repo.full_name}/pull/{pull.number}",
            "issue_url": self._api(repo, f"/issues/{pull.number}"),
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "draft": False,
            "merged": False,
            "labels": [self._label_json(repo, repo.labels[name]) for name in pull.labels],
            "head": part(pull.head),
            "base": part(pull.base),
        }

    def _paginate(self, paged: Paged, query: dict[str, str]) -> tuple[Json, str]:
        items = paged.items
        per_page = min(int(query.get("per_page", PER_PAGE_DEFAULT)), PER_PAGE_MAX)
        page = max(int(query.get("page", 1)), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = {"first": 1, "prev": page - 1, "next": page + 1, "last": last}
        shown = {
            rel: number
            for rel, number in links.items()
            if (rel in ("first", "prev") and page > 1) or (rel in ("next", "last") and page < last)
        }
        link = ", ".join(
            f'<{self.url}{paged.path}?{urlencode({**query, "page": number})}>; rel="{rel}"'
            for rel, number in shown.items()
        )
        return items[(page - 1) * per_page : page * per_page], link

    # -- endpoints ---------------------------------------------------------------------------

    def _get_repo(self, repo: FakeRepo, **_: Any) -> tuple[int, Json]:
        return 200, self._repo_json(repo)

    def _get_ref(self, repo: FakeRepo, ref: str, **_: Any) -> tuple[int, Json]:
        if f"refs/{ref}" not in repo.refs:
            raise not_found()
        return 200, self._ref_json(repo, f"refs/{ref}")

    def _list_refs(self, repo: FakeRepo, prefix: str = "", **_: Any) -> tuple[int, Json]:
        names = sorted(name for name in repo.refs if name.startswith(f"refs/{prefix}"))
        refs = [self._ref_json(repo, name) for name in names]
        return 200, Paged(refs, f"/repos/{repo.full_name}/git/refs/{prefix}")

    def _create_ref(self, repo: FakeRepo, body: Json, **_: Any) -> tuple[int, Json]:
        ref, sha = body.get("ref", ""), body.get("sha", "")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise ApiError(422, "Reference name is invalid")
        if ref in repo.refs:
            raise ApiError(422, "Reference already exists")
        if sha not in repo.commits:
            raise ApiError(422, "Object does not exist")
        repo.refs[ref] = sha
        return 201, self._ref_json(repo, ref)

    def _update_ref(self, repo: FakeRepo, ref: str, body: Json, **_: Any) -> tuple[int, Json]:
        name, sha = f"refs/{ref}", body.get("sha", "")
        if name not in repo.refs:
            raise ApiError(422, "Reference does not exist")
        if sha not in repo.commits:
            raise ApiError(422, "Object does not exist")
        if not body.get("force") and not repo.is_ancestor(repo.refs[name], sha):
            raise ApiError(422, "Update is not a fast forward")
        repo.refs[name] = sha
        return 200, self._ref_json(repo, name)

    def _delete_ref(self, repo: FakeRepo, ref: str, **_: Any) -> tuple[int, Json]:
        if repo.refs.pop(f"refs/{ref}", None) is None:
            raise ApiError(422, "Reference does not exist")
        return 204, None

    def _create_blob(self, repo: FakeRepo, body: Json, **_: Any) -> tuple[int, Json]:
        content = body.get("content", "")
        data = base64.b64decode(content) if body.get("encoding") == "base64" else content.encode()
        sha = repo.add_blob(data)
        return 201, {"sha": sha, "url": self._api(repo, f"/git/blobs/{sha}")}

    def _create_tree(self, repo: FakeRepo, body: Json, **_: Any) -> tuple[int, Json]:
        base = body.get("base_tree")
        if base is not None and base not in repo.trees:
            raise validation_failed({"resource": "Tree", "field": "base_tree", "code": "invalid"})
        entries = dict(repo.trees[base]) if base else {}
        for element in body.get("tree", []):
            path = element["path"]
            if "content" in element:
                entries[path] = repo.add_blob(element["content"].encode())
            elif element.get("sha") is None:
                entries.pop(path, None)
            elif element["sha"] in repo.blobs:
                entries[path] = element["sha"]
            else:
                raise validation_failed({"resource": "Tree", "field": "sha", "code": "invalid"})
        return 201, self._tree_json(repo, repo.add_tree(entries))

    def _create_commit(self, repo: FakeRepo, body: Json, **_: Any) -> tuple[int, Json]:
        tree, parents = body.get("tree"), body.get("parents", [])
        if tree not in repo.trees or any(parent not in repo.commits for parent in parents):
            raise validation_failed({"resource": "Commit", "field": "tree", "code": "invalid"})
        commit = repo.add_commit(tree, list(parents), body.get("message", ""))
        return 201, self._commit_json(repo, commit)

    def _get_commit(self, repo: FakeRepo, sha: str, **_: Any) -> tuple[int, Json]:
        if sha not in repo.commits:
            raise not_found()
        return 200, self._commit_json(repo, repo.commits[sha])

    def _get_contents(
        self, repo: FakeRepo, path: str, query: dict[str, str], **_: Any
    ) -> tuple[int, Json]:
        ref = query.get("ref", repo.default_branch)
        sha = repo.resolve(ref)
        if sha is None:
            raise ApiError(404, f"No commit found for the ref {ref}")
        blob = repo.trees[repo.commits[sha].tree].get(path)
        if blob is None:
            raise not_found()
        data = repo.blobs[blob]
        return 200, {
            "type": "file",
            "encoding": "base64",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": base64.b64encode(data).decode(),
            "sha": blob,
            "url": self._api(repo, f"/contents/{quote(path)}?ref={quote(ref)}"),
        }

    def _list_pulls(self, repo: FakeRepo, query: dict[str, str], **_: Any) -> tuple[int, Json]:
        """GitHub's documented filters (`state` open by default, `base`, `head` as
        `owner:branch`), newest first, with two quirks of the real service that clients must
        guard against: a `head` without its `owner:` part filters nothing
        (x-motemen/git-pr-release#48, PyGithub#1678), and a `head` also returns the pull
        requests of other branches on the same commit (octokit/octokit.js#2056)."""
        state = query.get("state", "open")
        owner, colon, branch = query.get("head", "").partition(":")
        same_commit = repo.refs.get(f"refs/heads/{branch}") if colon else None

        def from_head(pull: FakePull) -> bool:
            if not colon:
                return True
            if owner.lower() != repo.owner.lower():
                return False
            head_commit = repo.refs.get(f"refs/heads/{pull.head}")
            return pull.head == branch or (same_commit is not None and head_commit == same_commit)

        pulls = [
            pull
            for pull in sorted(repo.pulls.values(), key=lambda pull: -pull.number)
            if state in ("all", pull.state)
            and query.get("base", pull.base) == pull.base
            and from_head(pull)
        ]
        items = [self._pull_json(repo, pull) for pull in pulls]
        return 200, Paged(items, f"/repos/{repo.full_name}/pulls")

    def _pull(self, repo: FakeRepo, number: str) -> FakePull:
        pull = repo.pulls.get(int(number))
        if pull is None:
            raise not_found()
        return pull

    def _get_pull(self, repo: FakeRepo, number: str, **_: Any) -> tuple[int, Json]:
        return 200, self._pull_json(repo, self._pull(repo, number))

    def _create_pull(self, repo: FakeRepo, body: Json, **_: Any) -> tuple[int, Json]:
        owner, _colon, head = str(body.get("head", "")).rpartition(":")
        base = str(body.get("base", ""))
        if not body.get("title"):
            raise pull_request_error(field="title", code="missing_field")
        if owner.lower() not in ("", repo.owner.lower()):
            raise pull_request_error(field="head", code="invalid")
        for name, branch in (("base", base), ("head", head)):
            if f"refs/heads/{branch}" not in repo.refs:
                raise pull_request_error(field=name, code="invalid")
        if any(pull.base == base for pull in repo.open_pulls(head)):
            message = f"A pull request already exists for {repo.owner}:{head}."
            raise pull_request_error(code="custom", message=message)
        if repo.head(head) == repo.head(base):
            raise pull_request_error(code="custom", message=f"No commits between {base} and {head}")
        pull = repo.add_pull(head, base, body["title"])
        pull.body = body.get("body") or ""
        return 201, self._pull_json(repo, pull)

    def _update_pull(self, repo: FakeRepo, number: str, body: Json, **_: Any) -> tuple[int, Json]:
        pull = self._pull(repo, number)
        base = body.get("base", pull.base)
        if f"refs/heads/{base}" not in repo.refs:
            raise pull_request_error(field="base", code="invalid")
        if any(other.base == base for other in repo.open_pulls(pull.head) if other is not pull):
            message = (
                f"A pull request already exists for base branch '{base}' "
                f"and head branch '{pull.head}'"
            )
            raise pull_request_error(code="custom", message=message)
        pull.base = base
        pull.title = body.get("title", pull.title)
        pull.body = body.get("body", pull.body)
        pull.state = body.get("state", pull.state)
        return 200, self._pull_json(repo, pull)

    def _list_labels(self, repo: FakeRepo, **_: Any) -> tuple[int, Json]:
        items = [self._label_json(repo, label) for label in repo.labels.values()]
        return 200, Paged(items, f"/repos/{repo.full_name}/labels")

    def _create_label(self, repo: FakeRepo, body: Json, **_: Any) -> tuple[int, Json]:
        name = body.get("name", "")
        if any(existing.lower() == name.lower() for existing in repo.labels):
            raise validation_failed(
                {"resource": "Label", "code": "already_exists", "field": "name"}
            )
        label = FakeLabel(name, body.get("color", "ededed"), body.get("description") or "")
        repo.labels[name] = label
        return 201, self._label_json(repo, label)

    def _add_issue_labels(
        self, repo: FakeRepo, number: str, body: Json, **_: Any
    ) -> tuple[int, Json]:
        pull = self._pull(repo, number)
        names = body["labels"] if isinstance(body, dict) else body
        for name in names:
            # GitHub creates a label that does not exist yet, with a default colour.
            repo.labels.setdefault(name, FakeLabel(name, "ededed"))
            if name not in pull.labels:
                pull.labels.append(name)
        return 200, [self._label_json(repo, repo.labels[name]) for name in pull.labels]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and delayed ACKs
    # add 40 ms to every request.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        status, payload, headers = fake.handle(
            self.command, url.path, url.query, raw_body, self.headers.get("Authorization", "")
        )
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's request log is `FakeGitHub.requests`."""


@pytest.fixture(name="fake_github")
def fake_github_fixture() -> Iterator[FakeGitHub]:
    """A running fake with one repository; import this name to use the `fake_github` fixture."""
    with FakeGitHub() as fake:
        yield fake
