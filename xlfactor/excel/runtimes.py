"""Starting xlfactor's functions in xlwings Server and xlwings Lite.

xlwings Server (the ``xlwings-server`` package) loads a project folder whose ``custom_functions``
package defines the functions; ``write_server_project`` creates one that re-exports
``xlfactor.excel.udfs``. It runs with environment ``prod`` and an empty functions namespace, so the
Excel names are ``CAPM_BETA`` etc., as in xlwings Lite. Licence: xlwings Server and xlwings' PRO code
are PolyForm Noncommercial 1.0.0 unless you hold a commercial licence; the key ``noncommercial``
is only valid for noncommercial use.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import __version__

FUNCTIONS_INIT = '''"""xlfactor's spreadsheet functions for xlwings Server (written by `xlfactor serve`)."""

import sys

if sys.platform != "emscripten":
    # xlwings 0.37.8 tries `import pyodide` once per cell outside Pyodide; make that fail fast.
    sys.modules.setdefault("pyodide", None)

from xlfactor.excel.udfs import *  # noqa: E402,F401,F403
'''

LITE_MAIN = '''"""xlfactor for xlwings Lite: paste this into the main.py tab (written by `xlfactor lite`)."""

from xlfactor.excel.udfs import *  # noqa: F401,F403  (registers CAPM_BETA, FACTOR_R2, ... )
'''

LITE_REQUIREMENTS = f"""# xlfactor for xlwings Lite: paste this into the requirements.txt tab (written by `xlfactor lite`).
# Lite installs from PyPI, or from a wheel URL: replace the line below with the URL of
# xlfactor-{__version__}-py3-none-any.whl (build it with `pip wheel --no-deps .`) if the
# version you want is not on PyPI. numpy, pandas, scipy, scikit-learn and statsmodels come
# from Pyodide; do not pin them.
xlfactor
"""

LICENCE_NOTE = (
    "Licence: xlwings Server and xlwings' PRO components are PolyForm Noncommercial 1.0.0 unless you hold a "
    "commercial licence. The key 'noncommercial' is valid for noncommercial use only; for anything else set "
    "XLWINGS_LICENSE_KEY to your own key. xlwings Lite is free for personal and commercial use."
)


def server_settings(license_key: str | None = None) -> dict[str, str]:
    """Environment for xlwings Server: licence key, production mode, no namespace (names as in Lite)."""
    return {
        "XLWINGS_LICENSE_KEY": license_key or os.environ.get("XLWINGS_LICENSE_KEY") or "noncommercial",
        "XLWINGS_ENVIRONMENT": "prod",
        "XLWINGS_FUNCTIONS_NAMESPACE": "",
        "XLWINGS_ENABLE_EXAMPLES": "false",
    }


def _write(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force and path.read_text() != text:
        raise FileExistsError(f"{path} exists and differs; pass --force to overwrite it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_server_project(folder: Path, force: bool = False) -> Path:
    """Create (or refresh) an xlwings Server project folder that serves xlfactor's functions."""
    folder = Path(folder)
    _write(folder / "custom_functions" / "__init__.py", FUNCTIONS_INIT, force)
    _write(folder / "custom_scripts" / "__init__.py", '"""No scripts: xlfactor provides functions only."""\n', force)
    return folder


def write_lite_files(folder: Path, force: bool = False) -> list[Path]:
    """Write main.py and requirements.txt to paste into xlwings Lite's editor tabs."""
    folder = Path(folder)
    paths = [folder / "main.py", folder / "requirements.txt"]
    for path, text in zip(paths, (LITE_MAIN, LITE_REQUIREMENTS)):
        _write(path, text, force)
    return paths


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8000, run: bool = True) -> str:
    """Write the project, print how to connect Excel, and run xlwings Server with uvicorn."""
    folder = write_server_project(folder).resolve()
    os.environ.update(server_settings())
    os.environ["XLWINGS_PROJECT_DIR"] = str(folder)
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

        kwargs = {}
        if https:
            kwargs = {"ssl_certfile": str(certs / "localhost+2.pem"), "ssl_keyfile": str(certs / "localhost+2-key.pem")}
        uvicorn.run("xlwings_server.main:main_app", host=host, port=port, **kwargs)
    return message
