"""Classic (COM) runtime: pywin32 stubbed so the real xlwings classic decorators bind before the UDFs load."""

from tests.excel import winstubs

winstubs.install()
