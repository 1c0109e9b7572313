"""The template workbook (``template``), the data it is built on (``dataset``) and its procedure in Python (``procedure``).

This module stays light (the command line reads the flavours' names from it without importing XlsxWriter).
"""

FLAVORS = ("classic", "officejs", "preview")  # classic Excel; Office.js (xlwings Server, Lite); values, for reading
FILE_NAMES = {
    "classic": "xlfactor_classic.xlsx",
    "officejs": "xlfactor_officejs.xlsx",
    "preview": "xlfactor_preview.xlsx",
}
