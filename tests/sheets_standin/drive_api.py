"""The Drive v3 endpoints gspread uses: files create/list/get/delete and permissions."""

from __future__ import annotations

import re
from typing import Any, Optional

from .errors import ApiError, drive_error, drive_file_not_found
from .fieldmask import FieldMaskError, apply_field_mask, parse_field_mask
from .model import SPREADSHEET_MIME_TYPE, Spreadsheet, rfc3339_millis
from .state import StandinState

# Fields Drive returns for a file when the request gives no `fields` parameter.
_DEFAULT_FILE_FIELDS = ("kind", "id", "name", "mimeType")
_PERMISSION_ROLES = {"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"}
_PERMISSION_TYPES = {"user", "group", "domain", "anyone"}
_QUOTED = r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
_CLAUSES = [
    ("mimeType", re.compile(rf"^mimeType\s*=\s*{_QUOTED}$")),
    ("mimeTypeNot", re.compile(rf"^mimeType\s*!=\s*{_QUOTED}$")),
    ("name", re.compile(rf"^name\s*=\s*{_QUOTED}$")),
    ("nameContains", re.compile(rf"^name\s+contains\s+{_QUOTED}$")),
    ("inParents", re.compile(rf"^{_QUOTED}\s+in\s+parents$")),
    # gspread 6.2.1 writes `parents in "<folder id>"`, which Drive also accepts.
    ("parentsIn", re.compile(rf"^parents\s+in\s+{_QUOTED}$")),
    ("trashed", re.compile(r"^trashed\s*=\s*(true|false)$")),
]


def _first(params: dict[str, list[str]], name: str) -> Optional[str]:
    values = params.get(name)
    return values[0] if values else None


def file_json(spreadsheet: Spreadsheet) -> dict[str, Any]:
    result = {
        "kind": "drive#file",
        "id": spreadsheet.spreadsheet_id,
        "name": spreadsheet.title,
        "mimeType": SPREADSHEET_MIME_TYPE,
        "parents": list(spreadsheet.parents),
        "trashed": False,
        "createdTime": rfc3339_millis(spreadsheet.created_time),
        "modifiedTime": rfc3339_millis(spreadsheet.modified_time),
        "webViewLink": spreadsheet.url(),
    }
    if spreadsheet.modified_by_me_time is not None:
        result["modifiedByMeTime"] = rfc3339_millis(spreadsheet.modified_by_me_time)
    return result


def _file_mask(params: dict[str, list[str]]) -> Any:
    fields = _first(params, "fields")
    if not fields:
        return {name: None for name in _DEFAULT_FILE_FIELDS}
    try:
        return parse_field_mask(fields)
    except FieldMaskError:
        raise drive_error(400, f"Invalid field selection {fields}", location="fields") from None


def _lookup(state: StandinState, file_id: str) -> Spreadsheet:
    spreadsheet = state.spreadsheets.get(file_id)
    # Drive responds 404 for files the caller may not see, not 403.
    if spreadsheet is None or spreadsheet.forbidden:
        raise drive_file_not_found(file_id)
    return spreadsheet


def files_create(state: StandinState, params: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
    mime_type = body.get("mimeType")
    if mime_type != SPREADSHEET_MIME_TYPE:
        raise drive_error(400, f"The Sheets stand-in only creates {SPREADSHEET_MIME_TYPE} files, not {mime_type!r}.")
    spreadsheet = state.new_spreadsheet(body.get("name") or "Untitled spreadsheet")
    spreadsheet.parents = list(body.get("parents") or [])
    state.add_sheet(spreadsheet, "Sheet1", sheet_id=0)
    spreadsheet.modified_by_me_time = spreadsheet.modified_time
    return apply_field_mask(file_json(spreadsheet), _file_mask(params))


def files_get(state: StandinState, file_id: str, params: dict[str, list[str]]) -> dict[str, Any]:
    return apply_field_mask(file_json(_lookup(state, file_id)), _file_mask(params))


def files_delete(state: StandinState, file_id: str) -> None:
    _lookup(state, file_id)
    del state.spreadsheets[file_id]


def _matches(spreadsheet: Spreadsheet, clause: str) -> bool:
    for name, pattern in _CLAUSES:
        match = pattern.match(clause)
        if not match:
            continue
        if name == "trashed":
            return match.group(1) == "false"
        value = match.group(1) if match.group(1) is not None else match.group(2)
        value = re.sub(r"\\(.)", r"\1", value)
        if name == "mimeType":
            return value == SPREADSHEET_MIME_TYPE
        if name == "mimeTypeNot":
            return value != SPREADSHEET_MIME_TYPE
        if name == "name":
            return spreadsheet.title == value
        if name == "nameContains":
            return value.lower() in spreadsheet.title.lower()
        return value in spreadsheet.parents
    raise drive_error(400, "Invalid Value", location="q")


def files_list(state: StandinState, params: dict[str, list[str]]) -> dict[str, Any]:
    """List files matching `q`.

    NOTE: `q` supports only clauses joined by `and`: mimeType, name, name contains,
    parents and trashed. Anything else is rejected with Drive's 400 "Invalid Value".
    """
    query = (_first(params, "q") or "").strip()
    clauses = [part.strip() for part in re.split(r"\s+and\s+", query) if part.strip()] if query else []
    files = [item for item in state.spreadsheets.values() if all(_matches(item, clause) for clause in clauses)]
    order = (_first(params, "orderBy") or "").strip()
    if order:
        key_name, _, direction = order.partition(" ")
        attribute = {"modifiedTime": "modified_time", "createdTime": "created_time", "name": "title"}.get(key_name)
        if attribute is None:
            raise drive_error(400, "Invalid Value", location="orderBy")
        files.sort(key=lambda item: getattr(item, attribute), reverse=direction.strip() == "desc")
    page_size = int(_first(params, "pageSize") or 100)
    if not 1 <= page_size <= 1000:
        raise drive_error(400, f"Invalid value '{page_size}'. Values must be within the range: [1, 1000]", location="pageSize")
    token = _first(params, "pageToken")
    try:
        offset = int(token) if token else 0
    except ValueError:
        raise drive_error(400, "Invalid Value", location="pageToken") from None
    page = files[offset : offset + page_size]
    result: dict[str, Any] = {"kind": "drive#fileList"}
    if offset + page_size < len(files):
        result["nextPageToken"] = str(offset + page_size)
    result["incompleteSearch"] = False
    fields = _first(params, "fields")
    if fields:
        try:
            mask = parse_field_mask(fields)
        except FieldMaskError:
            raise drive_error(400, f"Invalid field selection {fields}", location="fields") from None
        result["files"] = [file_json(item) for item in page]
        return apply_field_mask(result, mask)
    result["files"] = [apply_field_mask(file_json(item), {name: None for name in _DEFAULT_FILE_FIELDS}) for item in page]
    return result


def permissions_create(state: StandinState, file_id: str, params: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
    spreadsheet = _lookup(state, file_id)
    role, kind = body.get("role"), body.get("type")
    if role not in _PERMISSION_ROLES:
        raise drive_error(400, "The permission role field is required and must be valid.", location="permission.role")
    if kind not in _PERMISSION_TYPES:
        raise drive_error(400, "The permission type field is required and must be valid.", location="permission.type")
    if kind in ("user", "group") and not body.get("emailAddress"):
        raise drive_error(400, "The permission emailAddress field is required for this type.", location="permission.emailAddress")
    permission: dict[str, Any] = {"kind": "drive#permission", "id": str(state.new_int_id()), "type": kind, "role": role}
    for name in ("emailAddress", "domain"):
        if body.get(name):
            permission[name] = body[name]
    spreadsheet.permissions.append(permission)
    state.bump(spreadsheet)
    spreadsheet.modified_by_me_time = spreadsheet.modified_time
    fields = _first(params, "fields")
    if fields:
        return apply_field_mask(permission, parse_field_mask(fields))
    return {key: permission[key] for key in ("kind", "id", "type", "role")}


def permissions_list(state: StandinState, file_id: str, params: dict[str, list[str]]) -> dict[str, Any]:
    spreadsheet = _lookup(state, file_id)
    result = {"kind": "drive#permissionList", "permissions": [dict(item) for item in spreadsheet.permissions]}
    fields = _first(params, "fields")
    return apply_field_mask(result, parse_field_mask(fields)) if fields else result


def permissions_delete(state: StandinState, file_id: str, permission_id: str) -> None:
    spreadsheet = _lookup(state, file_id)
    for permission in spreadsheet.permissions:
        if permission["id"] == permission_id:
            spreadsheet.permissions.remove(permission)
            state.bump(spreadsheet)
            spreadsheet.modified_by_me_time = spreadsheet.modified_time
            return
    raise drive_error(404, f"Permission not found: {permission_id}.", location="permissionId")


def raise_unknown_drive_path(path: str) -> ApiError:
    return drive_error(404, f"The Sheets stand-in does not implement {path}.")
