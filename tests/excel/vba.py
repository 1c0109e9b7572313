"""A static check of the VBA module xlwings writes for classic Excel (Import Functions).

VBA refuses to compile a whole module when one procedure uses a reserved identifier as a parameter
name, or a parameter shadows a procedure of the module; then no function of the module works.
The reserved identifiers are those of the VBA language specification (MS-VBAL 3.3.5.2: statement
and marker keywords, operator identifiers, reserved names, special forms, reserved type names,
literals, Rem, names reserved for the implementation and for the future), plus the names the
xlwings wrapper itself uses inside every function.
"""

from __future__ import annotations

import re

RESERVED = {
    w.lower()
    for w in [
        "Call",
        "Case",
        "Close",
        "Const",
        "Declare",
        "DefBool",
        "DefByte",
        "DefCur",
        "DefDate",
        "DefDbl",
        "DefInt",
        "DefLng",
        "DefLngLng",
        "DefLngPtr",
        "DefObj",
        "DefSng",
        "DefStr",
        "DefVar",
        "Dim",
        "Do",
        "Else",
        "ElseIf",
        "End",
        "EndIf",
        "Enum",
        "Erase",
        "Event",
        "Exit",
        "For",
        "Friend",
        "Function",
        "Get",
        "Global",
        "GoSub",
        "GoTo",
        "If",
        "Implements",
        "Input",
        "Let",
        "Lock",
        "Loop",
        "LSet",
        "Next",
        "On",
        "Open",
        "Option",
        "Print",
        "Private",
        "Public",
        "Put",
        "RaiseEvent",
        "ReDim",
        "Resume",
        "Return",
        "RSet",
        "Seek",
        "Select",
        "Set",
        "Static",
        "Stop",
        "Sub",
        "Type",
        "Unlock",
        "Wend",
        "While",
        "With",
        "Write",
        "Any",
        "As",
        "ByRef",
        "ByVal",
        "Each",
        "In",
        "New",
        "Shared",
        "Until",
        "WithEvents",
        "Optional",
        "ParamArray",
        "Preserve",
        "Spc",
        "Tab",
        "Then",
        "To",
        "AddressOf",
        "And",
        "Eqv",
        "Imp",
        "Is",
        "Like",
        "Mod",
        "Not",
        "Or",
        "TypeOf",
        "Xor",
        "Abs",
        "CBool",
        "CByte",
        "CCur",
        "CDate",
        "CDbl",
        "CDec",
        "CInt",
        "CLng",
        "CLngLng",
        "CLngPtr",
        "CSng",
        "CStr",
        "CVar",
        "CVErr",
        "Date",
        "Debug",
        "DoEvents",
        "Fix",
        "Int",
        "Len",
        "LenB",
        "Me",
        "PSet",
        "Scale",
        "Sgn",
        "String",
        "Array",
        "Circle",
        "InputB",
        "LBound",
        "UBound",
        "Boolean",
        "Byte",
        "Currency",
        "Double",
        "Integer",
        "Long",
        "LongLong",
        "LongPtr",
        "Single",
        "Variant",
        "True",
        "False",
        "Nothing",
        "Empty",
        "Null",
        "Rem",
        "Attribute",
        "LineInput",
        "VB_Base",
        "VB_Control",
        "VB_Creatable",
        "VB_Customizable",
        "VB_Description",
        "VB_Exposed",
        "VB_Ext_KEY",
        "VB_GlobalNameSpace",
        "VB_HelpID",
        "VB_Invoke_Func",
        "VB_Invoke_Property",
        "VB_Invoke_PropertyPut",
        "VB_Invoke_PropertyPutRef",
        "VB_MemberFlags",
        "VB_Name",
        "VB_PredeclaredId",
        "VB_ProcData",
        "VB_TemplateDerived",
        "VB_UserMemId",
        "VB_VarDescription",
        "VB_VarHelpID",
        "VB_VarMemberFlags",
        "VB_VarProcData",
        "VB_VarUserMemId",
        "CDecl",
        "Decimal",
        "DefDec",
        "Error",
        "Mid",
        "MidB",
        "Application",
        "ThisWorkbook",
        "ActiveWorkbook",
        "XLPy",
        "Err",
        "Range",
        "App",
        "failed",
        "Step",
        "Time",
        "Binary",
        "Property",
    ]
}
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,254}")
SIGNATURE = re.compile(r"^(?:Function|Sub) (\w+)\(([^)]*)\)", re.M)


def problems(vba: str) -> list[str]:
    """Everything in the module that stops VBA from compiling it; empty when it compiles."""
    out = []
    procedures = SIGNATURE.findall(vba)
    names = [name.lower() for name, _ in procedures]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        out.append(f"procedure {dup} is defined {names.count(dup)} times")
    for name, params in procedures:
        if name.lower() in RESERVED or not IDENTIFIER.fullmatch(name):
            out.append(f"procedure name {name} is reserved or not a VBA identifier")
        seen = set()
        for raw in filter(None, (p.strip() for p in params.split(","))):
            param = raw.split()[-1].removesuffix("()")
            low = param.lower()
            if low in RESERVED:
                out.append(f"{name}: parameter {param} is a reserved word")
            if low in names:
                out.append(f"{name}: parameter {param} has the name of a procedure of the module")
            if not IDENTIFIER.fullmatch(param) or param.endswith("_"):
                out.append(f"{name}: parameter {param} is not a plain VBA identifier")
            if low in seen:
                out.append(f"{name}: parameter {param} appears twice")
            seen.add(low)
    return out
