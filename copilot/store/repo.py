"""One import for the store's functions: ``from copilot.store import repo``.

They live in modules by concern (tenants, calls, flags, feedback); every function takes a
``Session``, flushes, and leaves committing to the caller::

    with sessions.begin() as session:          # one transaction
        call = repo.get_visible_call(session, principal, call_id)
"""

from __future__ import annotations

from copilot.store.calls import (
    CALL_SOURCES,
    CALL_STATUSES,
    CallStatus,
    add_insight,
    add_segment,
    append_event,
    confirm_call,
    create_call,
    get_call,
    get_visible_call,
    list_events_after,
    list_insights,
    list_segments,
    list_visible_calls,
    mark_interrupted_calls,
    save_summary_edit,
    update_call,
)
from copilot.store.errors import Conflict, InvalidInput, NotFound, StoreError
from copilot.store.feedback import (
    FEEDBACK_ACTIONS,
    FeedbackAction,
    FeedbackAdjustments,
    FeedbackCounts,
    add_feedback,
    feedback_counts,
)
from copilot.store.flags import (
    FLAG_SOURCES,
    FLAG_STATUSES,
    FlagStatus,
    add_flag,
    add_message_flags,
    get_flag,
    list_flags,
    override_flags,
    set_flag_status,
)
from copilot.store.tenants import (
    DemoTenant,
    create_api_key,
    create_org,
    create_team,
    create_user,
    ensure_demo_tenant,
    find_org,
    find_team,
    find_user,
    get_org,
    get_user,
    list_api_keys,
    list_users,
    revoke_api_key,
)

__all__ = [
    "CALL_SOURCES",
    "CALL_STATUSES",
    "FEEDBACK_ACTIONS",
    "FLAG_SOURCES",
    "FLAG_STATUSES",
    "CallStatus",
    "Conflict",
    "DemoTenant",
    "FeedbackAction",
    "FeedbackAdjustments",
    "FeedbackCounts",
    "FlagStatus",
    "InvalidInput",
    "NotFound",
    "StoreError",
    "add_feedback",
    "add_flag",
    "add_insight",
    "add_message_flags",
    "add_segment",
    "append_event",
    "confirm_call",
    "create_api_key",
    "create_call",
    "create_org",
    "create_team",
    "create_user",
    "ensure_demo_tenant",
    "feedback_counts",
    "find_org",
    "find_team",
    "find_user",
    "get_call",
    "get_flag",
    "get_org",
    "get_user",
    "get_visible_call",
    "list_api_keys",
    "list_events_after",
    "list_flags",
    "list_insights",
    "list_segments",
    "list_users",
    "list_visible_calls",
    "mark_interrupted_calls",
    "override_flags",
    "revoke_api_key",
    "save_summary_edit",
    "set_flag_status",
    "update_call",
]
