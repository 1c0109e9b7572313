"""Starting xlfactor's functions in xlwings Server and xlwings Lite.

xlwings Server (the ``xlwings-server`` package) loads a project folder whose ``custom_functions``
package defines the functions; ``write_server_project`` creates one that re-exports
``xlfactor.excel.udfs``. It runs with environment ``prod`` and an empty functions namespace, so the
Excel names are ``CAPM_BETA`` etc., as in xlwings Lite. Licence: xlwings Server and xlwings' PRO code
are PolyForm Noncommercial 1.0.0 unless you hold a commercial licence; the key ``noncommercial``
is only valid for noncommercial use.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from .. import __version__
from .._files import spelled, write_text
from ..errors import XLFactorError

FUNCTIONS_INIT = '''"""xlfactor's spreadsheet functions for xlwings Server (written by `xlfactor serve`).

xlwings Server reads their names, help texts and JavaScript from here; xlfactor's guard
(xlfactor.excel.server) answers the calls themselves, off the event loop.
"""

import sys

if sys.platform != "emscripten":
    # xlwings 0.37.8 tries `import pyodide` once per cell outside Pyodide; make that fail fast.
    sys.modules.setdefault("pyodide", None)

from xlfactor.excel.udfs import *  # noqa: E402,F401,F403
'''

# xlwings Lite has two editor tabs, main.py and requirements.txt, and installs packages from PyPI or Pyodide.
# xlfactor is on no package index, so `xlfactor lite` writes a main.py that carries the pure-Python modules the
# functions import, served from memory by an import hook, and a requirements.txt naming only what they import.
LITE_ENTRY = "xlfactor.excel.udfs"  # what main.py star-imports; every xlfactor module it needs is bundled
LITE_REQUIREMENTS_NAMES = ("xlwings", "numpy", "scipy")  # xlwings: Lite's own; numpy and scipy: built into Pyodide

LITE_HEADER = f'''"""xlfactor {__version__} for xlwings Lite: paste this whole file into the main.py tab (written by `xlfactor lite`).

It carries xlfactor's Excel functions and the pure-Python modules behind them; an import hook serves them
from the SOURCES below, so nothing but requirements.txt (xlwings, numpy, scipy) has to be installed.
Registers CAPM_BETA, FACTOR_R2, RIDGE_LOADINGS, LASSO_LOADINGS, CV_LAMBDA, RISK_ALLOC and their companions.
"""

import importlib.abc
import importlib.util
import sys

'''

LITE_FOOTER = '''

class _Bundle(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports xlfactor's modules from SOURCES (ahead of any installed copy)."""

    def find_spec(self, name, path=None, target=None):
        if name in SOURCES:
            return importlib.util.spec_from_loader(name, self, origin=f"main.py:{name}", is_package=name in PACKAGES)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(SOURCES[module.__name__], module.__spec__.origin, "exec"), module.__dict__)


# Lite runs main.py again after every edit: replace an earlier bundle and its modules, so a new paste takes effect
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_Bundle"]
for _name in [m for m in sys.modules if m == "xlfactor" or m.startswith("xlfactor.")]:
    del sys.modules[_name]
sys.meta_path.insert(0, _Bundle())

from xlfactor.excel.udfs import *  # noqa: E402,F401,F403
'''

LITE_REQUIREMENTS = (
    f"""# xlfactor {__version__} for xlwings Lite: paste this into the requirements.txt tab (written by `xlfactor lite`).
# xlfactor itself is inside main.py. numpy and scipy come from Pyodide: do not pin them. If Lite's own
# requirements.txt pins xlwings (e.g. xlwings==0.37.8), keep that pin on the xlwings line.
"""
    + "\n".join(LITE_REQUIREMENTS_NAMES)
    + "\n"
)


def _module_file(root: Path, name: str) -> Path | None:
    """The source of xlfactor module ``name`` (a package's ``__init__.py``), or None if it is not a module."""
    base = root.joinpath(*name.split(".")[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imported(name: str, path: Path) -> list[str]:
    """The xlfactor modules (or, for ``from m import x``, candidate modules ``m.x``) a module's source imports,
    at top level or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(filter(None, (base, node.module)))
            out += [module] + [f"{module}.{a.name}" for a in node.names if a.name != "*"]
    return [m for m in out if m.startswith("xlfactor.")]


def lite_bundle(entry: str = LITE_ENTRY) -> dict[str, Path]:
    """Every xlfactor module ``entry`` imports, directly or through others, and the packages holding them:
    name -> source file (``xlfactor`` itself excluded: main.py carries a stub)."""
    root = Path(__file__).resolve().parents[1]
    found: dict[str, Path] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        path = None if name in found or name == "xlfactor" else _module_file(root, name)
        if path is not None:
            found[name] = path
            todo += [name.rpartition(".")[0], *_imported(name, path)]
    return dict(sorted(found.items()))


def lite_main() -> str:
    """The main.py for xlwings Lite: xlfactor's Excel modules as sources, an import hook, the functions."""
    bundle = lite_bundle()
    packages = ("xlfactor", *(name for name, path in bundle.items() if path.name == "__init__.py"))
    sources = {
        "xlfactor": f'"""xlfactor\'s Excel functions, bundled for xlwings Lite."""\n__version__ = "{__version__}"\n'
    }
    sources.update({name: path.read_text() for name, path in bundle.items()})
    body = "\n".join(f"    {name!r}: {text!r}," for name, text in sources.items())
    return LITE_HEADER + f"\nPACKAGES = {packages!r}\n" + "\nSOURCES = {\n" + body + "\n}\n" + LITE_FOOTER


LICENCE_NOTE = (
    "Licence: xlwings Server and xlwings' PRO components are PolyForm Noncommercial 1.0.0 unless you hold a "
    "commercial licence. The key 'noncommercial' is valid for noncommercial use only; for anything else set "
    "XLWINGS_LICENSE_KEY to your own key. xlwings Lite is free for personal and commercial use."
)


# The add-in's own identity in Excel: a stable GUID (never xlwings Server's default, shared by every default
# add-in), xlfactor's name, one ribbon group with one button that opens the task pane.
MANIFEST_ID = "5c1f0a3e-8d2b-4f6e-9a47-3b8e1d2c6f90"
PROJECT_NAME = "xlfactor"


def server_settings(license_key: str | None = None) -> dict[str, str]:
    """Environment for xlwings Server: licence key, production mode, no namespace (names as in Lite), identity."""
    return {
        "XLWINGS_ON_SERVER": "true",  # before xlwings is first imported: it binds the Office.js decorators then
        "XLWINGS_LICENSE_KEY": license_key or os.environ.get("XLWINGS_LICENSE_KEY") or "noncommercial",
        "XLWINGS_ENVIRONMENT": "prod",
        "XLWINGS_FUNCTIONS_NAMESPACE": "",
        "XLWINGS_ENABLE_EXAMPLES": "false",
        "XLWINGS_PROJECT_NAME": PROJECT_NAME,
        "XLWINGS_MANIFEST_ID_PROD": MANIFEST_ID,
    }


# Jinja templates that xlwings Server prefers to its own (PROJECT_DIR/templates); written from scratch for xlfactor.
MANIFEST_XML = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- xlfactor's Office add-in manifest (written by `xlfactor serve`; xlwings Server fills in the addresses). -->
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
  xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="TaskPaneApp">
  <Id>{{{{ manifest_id }}}}</Id>
  <Version>{__version__}.0</Version>
  <ProviderName>xlfactor</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="xlfactor" />
  <Description DefaultValue="Factor models in Excel: CAPM betas, factor R2, ridge and lasso loadings, lambda by time-ordered cross-validation, risk parity." />
  <IconUrl DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/icons/xlwings-32.png" />
  <HighResolutionIconUrl DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/icons/xlwings-80.png" />
  <SupportUrl DefaultValue="{{{{ base_url_with_app_path }}}}/taskpane.html" />
  <AppDomains>
    <AppDomain>{{{{ base_url_with_app_path }}}}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook" />
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1" />
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue="{{{{ base_url_with_app_path }}}}/taskpane.html" />
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides" xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Taskpane.Url" lifetime="long" />
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Functions.Script.Url" />
            </Script>
            <Page>
              <SourceLocation resid="Taskpane.Url" />
            </Page>
            <Metadata>
              <SourceLocation resid="Functions.Metadata.Url" />
            </Metadata>
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="xlfactor.Group">
                <Label resid="Group.Label" />
                <Icon>
                  <bt:Image size="16" resid="Icon.16x16" />
                  <bt:Image size="32" resid="Icon.32x32" />
                  <bt:Image size="80" resid="Icon.80x80" />
                </Icon>
                <Control xsi:type="Button" id="xlfactor.TaskpaneButton">
                  <Label resid="TaskpaneButton.Label" />
                  <Supertip>
                    <Title resid="TaskpaneButton.Label" />
                    <Description resid="TaskpaneButton.Tooltip" />
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Icon.16x16" />
                    <bt:Image size="32" resid="Icon.32x32" />
                    <bt:Image size="80" resid="Icon.80x80" />
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>xlfactor.Taskpane</TaskpaneId>
                    <SourceLocation resid="Taskpane.Url" />
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
        <bt:Image id="Icon.16x16" DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/icons/xlwings-16.png" />
        <bt:Image id="Icon.32x32" DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/icons/xlwings-32.png" />
        <bt:Image id="Icon.80x80" DefaultValue="{{{{ base_url }}}}{{{{ settings.static_url_path }}}}/images/icons/xlwings-80.png" />
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Taskpane.Url" DefaultValue="{{{{ base_url_with_app_path }}}}/taskpane.html" />
        <bt:Url id="Functions.Script.Url" DefaultValue="{{{{ base_url_with_app_path }}}}/xlwings/custom-functions-code.js" />
        <bt:Url id="Functions.Metadata.Url" DefaultValue="{{{{ base_url_with_app_path }}}}/xlwings/custom-functions-meta.json" />
      </bt:Urls>
      <bt:ShortStrings>
        <bt:String id="Group.Label" DefaultValue="xlfactor" />
        <bt:String id="TaskpaneButton.Label" DefaultValue="xlfactor" />
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="TaskpaneButton.Tooltip" DefaultValue="Open xlfactor's pane: its functions and how to use them." />
      </bt:LongStrings>
    </Resources>
  </VersionOverrides>
</OfficeApp>
"""


def catalogue(path: Path) -> tuple[list[str], dict[str, str]]:
    """The functions a catalogue module exports (its ``__all__``, topic modules' ``__all__`` added to it) and the docstrings of its functions and of
    the topic modules it star-imports (``from .fn_x import *``), read from the sources, not imported.

    Importing xlwings here, before xlwings Server's settings are in the environment, would bind xlwings'
    no-op decorators for the server that runs in this process.
    """
    tree = ast.parse(path.read_text())
    docs = {node.name: ast.get_docstring(node) or "" for node in tree.body if isinstance(node, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.names[0].name == "*":
            docs.update(catalogue(path.with_name(f"{node.module}.py"))[1])
    names: list[str] = []
    for node in tree.body:  # __all__ = [...] then __all__ += fn_x.__all__ + fn_y.__all__
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            names = list(ast.literal_eval(node.value))
        elif isinstance(node, ast.AugAssign) and getattr(node.target, "id", "") == "__all__":
            parts = [p for p in ast.walk(node.value) if isinstance(p, ast.Attribute) and p.attr == "__all__"]
            for part in sorted(parts, key=lambda p: p.col_offset):  # in the order written
                if isinstance(part.value, ast.Name):
                    names += catalogue(path.with_name(f"{part.value.id}.py"))[0]
    return names, docs


def taskpane_html() -> str:
    """The task pane (it also hosts the functions' runtime): what xlfactor offers, one line per function."""
    from html import escape

    names, docs = catalogue(Path(__file__).with_name("udfs.py"))
    rows = "\n".join(
        f"        <li><code>{name.upper()}</code>: {escape(docs[name].splitlines()[0])}</li>" for name in names
    )
    return f"""{{% extends "base.html" %}}
{{% block content %}}
  <div class="container-fluid pt-3">
    <h1 class="h4">xlfactor {__version__}</h1>
    <p>Factor models as Excel functions. Periods run down rows, assets across columns; blank cells are missing
      values. A problem shows as <code>#VALUE!</code>: hover over the cell to read why.</p>
    <ul class="small">
{rows}
    </ul>
    <p class="small">Lambda scales: ridge ||y-a-Xb||^2 + lambda||b||^2; lasso 1/(2n)||y-a-Xb||^2 + lambda|b|_1.</p>
  </div>
{{% endblock content %}}
"""


def _write(path: Path, text: str, force: bool, cli: bool = False) -> None:
    if path.is_file() and not force and path.read_text() != text:
        how = spelled("force=True", "--force", cli)
        raise FileExistsError(17, f"exists and differs; pass {how} to overwrite it", str(path))
    write_text(path, text)


def write_server_project(folder: Path, force: bool = False, *, cli: bool = False) -> Path:
    """Create (or refresh) an xlwings Server project folder that serves xlfactor's functions; ``cli``: messages name
    the command's flags (--force), else the Python keywords (force=True)."""
    folder = Path(folder)
    _write(folder / "custom_functions" / "__init__.py", FUNCTIONS_INIT, force, cli)
    _write(
        folder / "custom_scripts" / "__init__.py", '"""No scripts: xlfactor provides functions only."""\n', force, cli
    )
    _write(folder / "templates" / "manifest.xml", MANIFEST_XML, force, cli)
    _write(folder / "templates" / "taskpane.html", taskpane_html(), force, cli)
    return folder


def write_lite_files(folder: Path, force: bool = False, *, cli: bool = False) -> list[Path]:
    """Write main.py and requirements.txt to paste into xlwings Lite's editor tabs; ``cli``: messages name the
    command's flags (--force), else the Python keywords (force=True)."""
    folder = Path(folder)
    paths = [folder / "main.py", folder / "requirements.txt"]
    for path, text in zip(paths, (lite_main(), LITE_REQUIREMENTS), strict=True):
        _write(path, text, force, cli)
    return paths


PLACEHOLDER_AUTH = (
    "XLWINGS_AUTH_PROVIDERS names custom, but the project has no auth/custom/__init__.py of its own: xlwings "
    "Server's placeholder would accept anyone sending the fixed token 'test-token'. Write validate_token in "
    "<project>/auth/custom/__init__.py (README: Serving safely), or use entraid."
)


CUSTOM_AUTH_EXAMPLE = '''"""Sign-in for `xlfactor serve`: each caller sends one of the team's tokens (set XLFACTOR_TOKENS on the
server, tokens separated by commas; Excel sends one from globalThis.getAuth in static/js/auth.js)."""

import hmac
import os

from fastapi import HTTPException, status
from xlwings_server.models import User


async def validate_token(token_string: str):
    tokens = [t.strip() for t in os.environ.get("XLFACTOR_TOKENS", "").split(",") if len(t.strip()) >= 16]
    for k, token in enumerate(tokens):
        if hmac.compare_digest(token_string.encode(), token.encode()):
            return User(id=f"token{k + 1}", name=f"token {k + 1}")
    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Sign-in failed: unknown token.")
'''


def auth_providers() -> list[str]:
    """The providers named in XLWINGS_AUTH_PROVIDERS (a JSON list, or names separated by commas)."""
    import json

    raw = os.environ.get("XLWINGS_AUTH_PROVIDERS", "").strip()
    try:
        names = json.loads(raw) if raw.startswith("[") else raw.split(",")
    except ValueError:
        names = [raw]
    return [str(n).strip().lower() for n in names if str(n).strip()]


def custom_auth_written(folder) -> bool:
    """Whether the project carries its own custom auth provider (not xlwings Server's placeholder)."""
    folder = Path(folder)
    for path in (folder / "auth" / "custom" / "__init__.py", folder / "auth" / "custom.py"):
        if path.is_file():
            text = path.read_text()
            return "def validate_token" in text and "test-token" not in text
    return False


def real_auth(folder) -> str | None:
    """None when callers must sign in with a real provider (entraid, or a custom one the user wrote); else why not."""
    providers = auth_providers()
    if not providers:
        return "no auth provider is configured (XLWINGS_AUTH_PROVIDERS)"
    if "custom" in providers and not custom_auth_written(folder):
        return PLACEHOLDER_AUTH
    unknown = [p for p in providers if p not in ("entraid", "custom")]
    if unknown:
        return f"XLWINGS_AUTH_PROVIDERS names {', '.join(unknown)}; xlwings Server has entraid and custom"
    return None


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    folder: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    run: bool = True,
    force: bool = False,
    workers: int = 1,
    *,
    cli: bool = False,
) -> str:
    """Write the project, print how to connect Excel, and run xlwings Server with uvicorn; ``cli``: messages name
    the command's flags (--host, --workers, --force), else the Python keywords."""
    folder = Path(folder)
    problem = real_auth(folder)
    if not is_loopback(host) and problem:
        raise XLFactorError(
            f"{spelled(f'host={host!r}', f'--host {host}', cli)} would let anyone on the network call the functions: {problem}. Keep 127.0.0.1, or "
            'configure sign-in first (README, Serving safely: XLWINGS_AUTH_PROVIDERS=["entraid"] with your tenant, or a '
            "custom provider you write)."
        )
    if "custom" in auth_providers() and not custom_auth_written(folder):
        raise XLFactorError(PLACEHOLDER_AUTH)
    if workers < 1:
        raise XLFactorError(f"{spelled('workers', '--workers', cli)} must be 1 or more; got {workers}.")
    folder = write_server_project(folder, force=force, cli=cli).resolve()
    certs = folder / "certs"
    https = (certs / "localhost+2.pem").exists() and (certs / "localhost+2-key.pem").exists()
    scheme = "https" if https else "http"
    lines = [
        f"xlfactor {__version__}: xlwings Server with xlfactor's functions, project folder {folder}",
        f"  functions:  {scheme}://{host}:{port}/xlwings/custom-functions-meta",
        f"  manifest:   {scheme}://{host}:{port}/manifest  (download it, then in Excel: Home > Add-ins >",
        "              More Add-ins > My Add-ins > Upload My Add-in, and pick the file)",
    ]
    if not https:
        lines += [
            "  Excel loads Office.js add-ins over HTTPS only: create a local certificate with mkcert",
            f"  (`mkcert -install && mkcert localhost 127.0.0.1 ::1` inside {certs}), then run this again.",
        ]
    lines.append("  " + LICENCE_NOTE)
    message = "\n".join(lines)
    print(message, flush=True)
    if run:
        import uvicorn

        os.environ.update(server_settings())  # only when serving: --print-only leaves this process as it was
        os.environ["XLWINGS_PROJECT_DIR"] = str(folder)
        os.environ["XLFACTOR_WARM_WORKERS"] = "1"  # the worker processes for large calls start with the server
        os.environ["XLFACTOR_ALLOWED_HOSTS"] = ",".join(dict.fromkeys(["127.0.0.1", "localhost", "::1", host]))

        kwargs: dict = {}
        if https:
            kwargs = {"ssl_certfile": str(certs / "localhost+2.pem"), "ssl_keyfile": str(certs / "localhost+2-key.pem")}
        uvicorn.run(
            "xlfactor.excel.server:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            limit_concurrency=64,
            **kwargs,
        )
    return message
