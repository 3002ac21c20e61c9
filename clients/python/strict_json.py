"""JSON as heartwire's spec reads it (spec/json.md §5): Python's json.loads, but refusing
NaN, Infinity and -Infinity (not JSON) and numbers beyond the range of a double (1e400,
an integer of 309 digits), which json.loads would take as inf or as a Python int no
other implementation can hold.

    from strict_json import loads
    value = loads(text)          # ValueError for any of them

Copy this file where you need it: it uses the standard library only.
"""

import json
import math


def strict_float(text):
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text}")
    return value


def strict_int(text):
    if math.isinf(float(text)):
        raise ValueError(f"number out of range: {text}")
    return int(text)


def reject_constant(name):
    raise ValueError(f"not JSON: {name}")


def loads(text):
    """The JSON value of text; ValueError (json.JSONDecodeError for bad syntax) when it
    is not JSON or holds a number beyond the range of a double."""
    return json.loads(
        text, parse_float=strict_float, parse_int=strict_int, parse_constant=reject_constant
    )
