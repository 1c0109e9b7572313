"""One module per sheet of the template; the list of them, in the workbook's order, is ``build.SHEETS``."""
