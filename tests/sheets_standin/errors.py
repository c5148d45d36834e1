"""Error bodies in the shapes Google's APIs return.

The 400 and 404 Sheets bodies match the recorded responses exactly. The recordings
contain no 401, 403, 429, 500 or 503 responses and no Drive errors, so those bodies
follow Google's documented error model: google.rpc.Status for Sheets v4 and the
`errors` list for Drive v3.
"""

from __future__ import annotations

import json
from typing import Any, Optional

SHEETS_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

SHEETS_DEFAULT_MESSAGES = {
    401: (
        "Request is missing required authentication credential. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}

# Drive v3 reasons for the `errors[].reason` field.
DRIVE_REASON_BY_CODE = {
    400: ("global", "badRequest", "Bad Request"),
    401: ("global", "authError", "Invalid Credentials"),
    403: ("global", "insufficientFilePermissions", "The user does not have sufficient permissions for this file."),
    404: ("global", "notFound", "File not found."),
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    503: ("global", "backendError", "Backend Error"),
}


class ApiError(Exception):
    """An error response: HTTP status and the JSON body to send."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("error", {}).get("message", ""))
        self.status = status
        self.body = body


def sheets_error(code: int, message: Optional[str] = None, details: Optional[list[dict[str, Any]]] = None) -> ApiError:
    """Build a Sheets v4 error (`{"error": {"code", "message", "status"}}`)."""
    error: dict[str, Any] = {
        "code": code,
        "message": message if message is not None else SHEETS_DEFAULT_MESSAGES.get(code, ""),
        "status": SHEETS_STATUS_BY_CODE.get(code, "UNKNOWN"),
    }
    if details:
        error["details"] = details
    return ApiError(code, {"error": error})


def bad_request(message: str, field: Optional[str] = None) -> ApiError:
    """Build a 400 INVALID_ARGUMENT; with `field`, add the BadRequest detail Google adds."""
    details = None
    if field is not None:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ]
    return sheets_error(400, message, details)


def invalid_json_value(field: str, value: Any, proto_type: str) -> ApiError:
    """Build the 400 Google returns when a JSON field has the wrong type."""
    message = f"Invalid value at '{field}' ({proto_type}), {json.dumps(value, ensure_ascii=False)}"
    return bad_request(message, field)


def quota_exceeded(kind: str, limit: int) -> ApiError:
    """Build a 429 RESOURCE_EXHAUSTED for the per-minute read or write quota."""
    metric = "Write requests" if kind == "sheets_write" else "Read requests"
    metric_id = "write_requests" if kind == "sheets_write" else "read_requests"
    limit_name = "WriteRequestsPerMinutePerUser" if kind == "sheets_write" else "ReadRequestsPerMinutePerUser"
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
    )
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "RATE_LIMIT_EXCEEDED",
            "domain": "googleapis.com",
            "metadata": {
                "quota_location": "global",
                "quota_metric": f"sheets.googleapis.com/{metric_id}",
                "quota_limit": limit_name,
                "quota_limit_value": str(limit),
                "consumer": "projects/000000000000",
                "service": "sheets.googleapis.com",
            },
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Request a higher quota limit.",
                    "url": "https://cloud.google.com/docs/quota#requesting_higher_quota",
                }
            ],
        },
    ]
    return sheets_error(429, message, details)


def drive_error(code: int, message: Optional[str] = None, location: Optional[str] = None) -> ApiError:
    """Build a Drive v3 error (`{"error": {"code", "message", "errors": [...]}}`)."""
    domain, reason, default_message = DRIVE_REASON_BY_CODE.get(code, ("global", "unknown", "Unknown error"))
    text = message if message is not None else default_message
    item: dict[str, Any] = {"message": text, "domain": domain, "reason": reason}
    if location is not None:
        item["location"] = location
        item["locationType"] = "parameter"
    return ApiError(code, {"error": {"code": code, "message": text, "errors": [item]}})


def drive_file_not_found(file_id: str) -> ApiError:
    """Build Drive's 404 for an unknown file id."""
    return drive_error(404, f"File not found: {file_id}.", location="fileId")
