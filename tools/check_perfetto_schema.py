#!/usr/bin/env python3
"""Checks that the trimmed Perfetto schema matches Perfetto's full one.

    check_perfetto_schema.py PROTO_FILE

Every message, field and enum value of PROTO_FILE (the trimmed copy in
third_party/perfetto) must exist in the schema of Perfetto's Python package
(`perfetto==0.59.1`) with the same name, number, type, label and oneof, so that what
is written with the trimmed schema means the same to Perfetto. Prints how much was
compared, or each mismatch and exits 1.
"""

import re
import sys

try:
    from google.protobuf.descriptor import FieldDescriptor
    from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb
except ImportError as err:
    sys.exit(f"check_perfetto_schema: {err}: install perfetto==0.59.1 and protobuf==7.36.2")

SCALARS = {v: k[len("TYPE_"):].lower() for k, v in vars(FieldDescriptor).items() if k.startswith("TYPE_")}
FIELD = re.compile(r"(optional |repeated )?([\w.]+) (\w+) = (\d+);")
ENUM_VALUE = re.compile(r"(\w+) = (-?\d+);")
OPEN = re.compile(r"(message|enum|oneof) (\w+) \{")


def type_name(f):
    """The type of f as the .proto file spells it (without a package)."""
    if f.message_type:
        return f.message_type.name
    if f.enum_type:
        return f.enum_type.name
    return SCALARS[f.type]


def check(text):
    """The mismatches between the trimmed schema `text` and the full one, and a count."""
    problems, compared = [], 0
    scopes = []  # (kind, name, descriptor) of the enclosing blocks
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//")[0].strip()
        if not line or line.startswith(("syntax", "package")):
            continue
        where = f"line {number}: {line}"
        opened = OPEN.fullmatch(line)
        if opened:
            kind, name = opened.groups()
            parent = next((d for k, _, d in reversed(scopes) if k == "message"), None)
            desc = None
            if kind == "message":
                desc = (parent.nested_types_by_name if parent else pb.DESCRIPTOR.message_types_by_name).get(name)
            elif kind == "enum":
                desc = (parent.enum_types_by_name if parent else pb.DESCRIPTOR.enum_types_by_name).get(name)
            if kind != "oneof" and desc is None:
                problems.append(f"{where}: no {kind} {name} upstream")
            scopes.append((kind, name, desc))
            continue
        if line == "}":
            if not scopes:
                problems.append(f"{where}: unbalanced brace")
            else:
                scopes.pop()
            continue
        if not scopes or scopes[-1][2] is None and scopes[-1][0] != "oneof":
            problems.append(f"{where}: not understood")
            continue
        kind, name, desc = scopes[-1]
        compared += 1
        if kind == "enum":
            value = ENUM_VALUE.fullmatch(line)
            upstream = value and desc.values_by_name.get(value.group(1))
            if not upstream or upstream.number != int(value.group(2)):
                problems.append(f"{where}: not an enum value of upstream {desc.full_name}")
            continue
        message = next(d for k, _, d in reversed(scopes) if k == "message")
        oneof = name if kind == "oneof" else None
        field = FIELD.fullmatch(line)
        if not field:
            problems.append(f"{where}: not understood")
            continue
        label, typ, fname, fnum = field.groups()
        f = message.fields_by_name.get(fname)
        if f is None:
            problems.append(f"{where}: no field {fname} in upstream {message.full_name}")
            continue
        same = (
            f.number == int(fnum)
            and (label == "repeated ") == f.is_repeated
            and typ.split(".")[-1] == type_name(f)
            and (f.containing_oneof.name if f.containing_oneof else None) == oneof
        )
        if not same:
            problems.append(f"{where}: upstream has {type_name(f)} {fname} = {f.number}"
                            f"{' (repeated)' if f.is_repeated else ''}"
                            f"{' in oneof ' + f.containing_oneof.name if f.containing_oneof else ''}")
    return problems, compared


def main(argv):
    if len(argv) != 1:
        print("usage: check_perfetto_schema.py PROTO_FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        print(f"check_perfetto_schema: {err}", file=sys.stderr)
        return 2
    problems, compared = check(text)
    for p in problems:
        print(f"check_perfetto_schema: {argv[0]}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"{compared} fields and enum values match upstream")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
