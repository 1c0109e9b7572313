"""Office.js runtime (xlwings Server and Lite): XLWINGS_ON_SERVER=true binds xlwings' Office.js decorators."""

import os
import sys

assert os.environ.get("XLWINGS_ON_SERVER") == "true", "run through tests/test_runtimes.py (it sets the environment)"
sys.modules.setdefault("pyodide", None)  # as a server process would (docs/architecture.md, section 6)
