"""Route modules loaded on first use, so a cold start imports only the feature it serves.

Chalice dispatches through `app.routes` (path -> method -> RouteEntry); a blueprint only
adds entries to it when registered. `register` fills the table from a manifest
(chalicelib/route_manifest.json: each module's paths, methods, content types, authorizer)
with entries identical to the real ones except for their view, a stub. The first request
to any route of a module imports that module, puts its real entries in place of the stubs
(one dict assignment each: a request in another thread sees one or the other, never a
gap) and hands the request on. API Gateway's table (chalice package) is the same either way.

Only the prod stage registers lazily: the dev and test stages import every module at once,
as before (the tests read the OpenAPI registry right after `import app`; the threaded dev
server reloads anyway). The manifest is generated, never committed (like a .pyc): an import
of app.py that found it missing or stale writes it where the tree is writable (set-up:
`python -m devtools.route_manifest`, run by devtools/system_deps.sh; the build that
packages the Lambda); a Lambda's own tree is read-only and is never written. It is only
trusted while it matches the sources: it holds a fingerprint of the route modules and of
platform/http.py (which turns `route(...)` into Chalice's arguments). Stale or missing,
every module is imported and registered at once, exactly as before."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from chalice import Chalice
from chalice.app import RouteEntry

MANIFEST = Path(__file__).resolve().parent.parent / "route_manifest.json"  # gitignored
BOUNDARY = "chalicelib.platform.http"  # how route() maps to Chalice: part of the fingerprint
_OPTIONS: dict[str, Any] = {"name_prefix": None, "url_prefix": None}


def _source(module: str) -> bytes:
    spec = importlib.util.find_spec(module)  # imports the parent packages only
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(module)
    return Path(spec.origin).read_bytes()


def fingerprint(modules: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for name in (*modules, BOUNDARY):
        digest.update(name.encode() + b"\0" + _source(name) + b"\0")
    return digest.hexdigest()


def _entry_spec(entry: RouteEntry) -> dict[str, Any]:
    return {"path": entry.uri_pattern, "method": entry.method, "view_name": entry.view_name,
            "content_types": list(entry.content_types),
            "authorizer": getattr(entry.authorizer, "name", None),
            "api_key_required": entry.api_key_required, "cors": entry.cors is not None}


def _register_now(app: Chalice, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Import and register every module now (as before); what each one added."""
    table: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        before = {(path, method) for path, methods in app.routes.items() for method in methods}
        app.register_blueprint(importlib.import_module(name).bp)
        table[name] = [_entry_spec(entry) for path, methods in app.routes.items()
                       for method, entry in methods.items() if (path, method) not in before]
    return table


def _write(manifest: dict[str, Any], path: Path = MANIFEST) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    os.replace(partial, path)


def read_manifest(modules: Iterable[str], path: Path = MANIFEST) -> dict[str, Any] | None:
    """The manifest if it describes exactly these modules as their sources are now."""
    names = list(modules)
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if list(manifest.get("modules", {})) != names or manifest.get("fingerprint") != fingerprint(names):
        return None
    return manifest  # type: ignore[no-any-return]


class LazyRoutes:
    """The stubs' loader: which modules are loaded, and loading one."""

    def __init__(self, app: Chalice, table: dict[str, list[dict[str, Any]]],
                 load_all_paths: Iterable[str]) -> None:
        self.app = app
        self.table = table
        self.load_all_paths = set(load_all_paths)
        self.loaded: set[str] = set()
        self._lock = threading.RLock()

    def load(self, name: str) -> None:
        """Import the module and register its blueprint in place of its stubs. The stubs
        leave the table only after the import (a Lambda serves one request at a time; the
        threaded dev server never runs lazily)."""
        with self._lock:
            if name in self.loaded:
                return
            module = importlib.import_module(name)
            stubs = {(s["path"], s["method"]): self.app.routes[s["path"]].pop(s["method"])
                     for s in self.table[name]}
            try:
                self.app.register_blueprint(module.bp)
            except Exception:
                for (path, method), entry in stubs.items():
                    self.app.routes[path].setdefault(method, entry)
                raise
            self.loaded.add(name)

    def load_all(self) -> None:
        for name in self.table:
            self.load(name)

    def stub(self, name: str, path: str, method: str) -> Callable[..., Any]:
        def view(**params: Any) -> Any:
            if path in self.load_all_paths:
                self.load_all()  # e.g. the OpenAPI document lists every route
            self.load(name)
            return self.app.routes[path][method].view_function(**params)
        view.__name__ = view.__qualname__ = f"lazy_{name.replace('.', '_')}"
        return view


def register(app: Chalice, modules: Iterable[str], authorizers: dict[str, Any],
             lazy: bool = True, load_all_paths: Iterable[str] = ()) -> LazyRoutes | None:
    """Register the blueprints of `modules` (each module's `bp`): from the manifest if
    `lazy` and it is current, else by importing them all now (and then writing the
    manifest if it was stale, where the tree is writable). Returns the loader, or None."""
    names = list(modules)
    manifest = read_manifest(names)
    if manifest is None or not lazy:
        table = _register_now(app, names)
        if manifest is None:
            try:  # the next process can start lazily (a read-only tree, e.g. a Lambda's: no matter)
                _write({"fingerprint": fingerprint(names), "modules": table})
            except OSError:
                pass
        return None
    loader = LazyRoutes(app, manifest["modules"], load_all_paths)
    for name, entries in manifest["modules"].items():
        for spec in entries:
            path, method = spec["path"], spec["method"]
            if method in app.routes[path]:
                raise ValueError(f"duplicate route {method} {path} ({name})")
            app.routes[path][method] = RouteEntry(
                loader.stub(name, path, method), spec["view_name"], path, method,
                api_key_required=spec["api_key_required"],
                content_types=list(spec["content_types"]), cors=spec["cors"],
                authorizer=authorizers[spec["authorizer"]] if spec["authorizer"] else None)
    return loader
