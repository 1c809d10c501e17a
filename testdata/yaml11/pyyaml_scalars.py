#!/usr/bin/env python3
"""Regenerate pyyaml_scalars.json: how PyYAML (upstream's YAML reader) reads every YAML 1.1 implicit scalar form.

Run once with PyYAML installed (Debian: apt-get install python3-yaml) and commit the output; the TypeScript test
engine/yaml11_table_test.ts reads it. Usage: python3 testdata/yaml11/pyyaml_scalars.py > testdata/yaml11/pyyaml_scalars.json
"""
import datetime
import json
import math
import sys

import yaml

BOOL = ["y", "Y", "yes", "Yes", "YES", "yEs", "n", "N", "no", "No", "NO", "nO", "true", "True", "TRUE", "tRUE",
        "false", "False", "FALSE", "on", "On", "ON", "oN", "off", "Off", "OFF", "oFF", "t", "f"]
NULL = ["~", "null", "Null", "NULL", "nULL", "", "none", "None", "nil"]
INT = ["0", "-0", "+0", "1", "-1", "+1", "42", "1_000", "1__0", "_1", "1_", "0b1010", "-0b1010", "+0b1010",
       "0b1_0", "0b", "0b2", "0B1", "0x1A", "0x1a", "-0x1A", "0x_1a", "0x", "0xG", "0X1A", "010", "-010", "0_7",
       "07", "08", "09", "00", "012345", "0o10", "0o", "190:20:30", "-190:20:30", "+1:30", "1:5", "1:59",
       "1:60", "01:30", "12:30", "0:30", "1:30:00", "9007199254740991", "-9007199254740991", "0_", "0b_",
       "0x_", "1_000_000", "-0_0"]
FLOAT = ["1.5", "-1.5", "+1.5", "1.", "-1.", ".5", "-.5", "+.5", "._5", "._", ".", "-.", "1.0e+3", "1.0e3",
         "1.0e-3", "1.0E+3", "1e3", "1e+3", "1E3", "e1", "1.0e+", "6.8523015e+5", "685.230_15e+03",
         "685_230.15", "1_000.5", "0.1", "00.1", "1.2.3", "190:20:30.15", "-190:20:30.15", "1:30.5", "1:60.5",
         ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".iNF", "inf", "Infinity", ".nan", ".NaN", ".NAN", "-.nan",
         "nan", "NaN", "1.5_", "1_.5", "0x1.8p1", "-0.0", ".1e+1", "0.0e+0", "1:00:00.5", "+.nan", "1.e+2"]
TIMESTAMP = ["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.10Z", "2001-12-14 21:59:43.10 -5",
             "2001-12-15 2:59:43.10", "2001-12-14T21:59:43Z", "2001-12-14T21:59:43+01:30", "2001-12-14 21:59:43",
             "2002-12-14", "2001-1-1", "2001-01-01T1:02:03", "2001-1-1 1:02:03", "01-12-14", "2001-12-14T21:59",
             "2001-12-14T21:59:43.123456Z", "2001-12-14  21:59:43.10", "20011214", "2001-02-30", "2001-13-01",
             "2000-02-29", "2001-12-14 24:00:00", "2001-12-14 23:59:60", "2001-12-14T21:59:43.", "0000-01-01",
             "0099-01-01", "2001-12-14T21:59:43+25", "2001-12-14T21:59:43-23:59"]
OTHER = ["=", "<<", "hello", "1 2", "'1'", '"yes"', "!!str 1", "!!int '7'", "!!float 1", "!!bool yes", "!!int 1.5", "!!float x",
         "!!int 0x1A", "!!float .inf"]
FORMS = BOOL + NULL + INT + FLOAT + TIMESTAMP + OTHER
assert len(set(FORMS)) == len(FORMS), "duplicate forms"


def expected(form: str):
    try:
        value = yaml.safe_load("v: " + form)["v"]
    except Exception as err:  # PyYAML refuses the document: the form has no value
        return {"type": "error", "value": type(err).__name__}
    if value is None:
        return {"type": "null", "value": None}
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        if math.isnan(value):
            return {"type": "float", "value": "nan"}
        if math.isinf(value):
            return {"type": "float", "value": "inf" if value > 0 else "-inf"}
        return {"type": "float", "value": value}
    if isinstance(value, datetime.datetime):
        text = str(value)  # what upstream's steps saw of it (aetherflow hands steps this text)
        # Naive datetimes are read as UTC (what a JS Date can hold); millisecond precision, as JS keeps.
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        value = value.replace(microsecond=value.microsecond // 1000 * 1000)
        return {"type": "datetime", "value": value.isoformat(timespec="milliseconds") + "Z", "text": text}
    if isinstance(value, datetime.date):
        return {"type": "date", "value": value.isoformat(), "text": str(value)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    raise TypeError(f"unexpected {type(value).__name__} for {form!r}")


rows = [[form, expected(form)] for form in FORMS]
json.dump({"generator": "testdata/yaml11/pyyaml_scalars.py", "pyyaml": yaml.__version__, "rows": rows},
          sys.stdout, indent=2)
sys.stdout.write("\n")
