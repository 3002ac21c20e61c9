"""Types that the pydantic models of models.py take in place of what
datamodel-code-generator would write for two definitions of the schemas
(--type-overrides, models.py's OPTIONS):

- Timestamp: the text as written, so that it is given back byte for byte (a datetime
  would write +00:00 back as Z and drop digits past the microsecond), checked against
  the RFC 3339 grammar of spec/json.md §4 (the pattern of the schemas' Timestamp) and
  for a date that exists (2025-02-29 and 2025-04-31 are refused, as the schemas'
  date-time format refuses them); the generator would write a str without the date
  check.
- DeccoOther: a decco command of any other name, `["Custom",1,"a"]`: a list whose first
  item is a command name that is not one of the known commands (the pattern of the
  schemas' DeccoOther), then any JSON values; the generator would write list[Any], the
  name unchecked.
- SuryOther: a sury command of any other name, `{"TAG":"Custom","_0":1}`: an object
  whose TAG is such a name and whose other members are `_0`, `_1`, ... (the schema's
  propertyNames); the generator would write a model that allows any extra member
  (`{"TAG":"Custom","_00":1}`, `{"TAG":"ForwardCommand","id":"o-1"}`).

Copy this file beside your generated models: it needs pydantic v2 only.
"""

import datetime
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

# spec/schema/record.schema.json, $defs/Timestamp/pattern.
PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]"
    r":[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


def date_exists(text: str) -> str:
    """text, when its date is one of the calendar; ValueError otherwise."""
    datetime.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    return text


Timestamp = Annotated[str, StringConstraints(pattern=PATTERN), AfterValidator(date_exists)]


# spec/schema/command.schema.json, $defs/DeccoCommand, the DeccoOther branch's first item.
OTHER_NAME = re.compile(
    r"^(?!(Heartbeat|RedetectPlugin|ConnectPlugin|DisconnectPlugin)$)[A-Za-z][A-Za-z0-9_]*$"
)


def named(items: list[Any]) -> list[Any]:
    """items, when the first is a name of an unknown command; ValueError otherwise."""
    if not isinstance(items[0], str) or not OTHER_NAME.match(items[0]):
        raise ValueError("the first item is not the name of an unknown command")
    return items


DeccoOther = Annotated[list[Any], Field(min_length=1), AfterValidator(named)]


# spec/schema/command.schema.json, $defs/SuryCommand, the SuryOther branch's propertyNames.
SURY_KEY = re.compile(r"^(TAG|_(0|[1-9][0-9]*))$")


def sury_other(members: dict[str, Any]) -> dict[str, Any]:
    """members, when TAG names an unknown command and the others are _0, _1, ...;
    ValueError otherwise."""
    tag = members.get("TAG")
    if not isinstance(tag, str) or not OTHER_NAME.match(tag):
        raise ValueError("TAG is not the name of an unknown command")
    if not all(SURY_KEY.match(key) for key in members):
        raise ValueError("a member other than TAG, _0, _1, ...")
    return members


SuryOther = Annotated[dict[str, Any], AfterValidator(sury_other)]
