"""The account-recovery story (docs/spec/graph-server.md, "Proof that it is Graph"),
walked with Microsoft's Python Graph SDK (msgraph-sdk) against `tapsim serve`.

Graph calls go through the SDK only, so its request builders, serializers, error
mapping (ODataError) and retry handler judge the server. Setup and sign-in go through
tapsim's control plane (/_tapsim), which is not Graph.

The tests run in file order and share one tenant (the `story` fixture); each step
builds on the ones before it, as in the story.
"""

import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.generated.audit_logs.directory_audits.directory_audits_request_builder import (
    DirectoryAuditsRequestBuilder,
)
from msgraph.generated.models.authentication_method_state import AuthenticationMethodState
from msgraph.generated.models.authentication_method_target import AuthenticationMethodTarget
from msgraph.generated.models.authentication_method_target_type import (
    AuthenticationMethodTargetType,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.operation_result import OperationResult
from msgraph.generated.models.temporary_access_pass_authentication_method import (
    TemporaryAccessPassAuthenticationMethod,
)
from msgraph.generated.models.temporary_access_pass_authentication_method_configuration import (
    TemporaryAccessPassAuthenticationMethodConfiguration,
)

ADMIN = "admin@contoso.com"
POLICY_ADMIN = "paula@contoso.com"
HELP_DESK = "henry@contoso.com"
USER = "alice@contoso.com"
OUTSIDER = "dave@contoso.com"
GUEST = "carol_fabrikam.com#EXT#@contoso.com"
GROUP = "Recovery"
PASSWORD = "Correct-Horse-Battery-9"

EXTERNAL_GUEST_MESSAGE = "Temporary Access Pass cannot be added to an external guest user."
OUT_OF_POLICY_MESSAGE = (
    "Converged UserCredentialPolicy does not allow creating or updating this "
    "authentication method. AuthMethodType [TemporaryAccessPass]."
)
UNKNOWN_PASS_ID = "00000000-0000-4000-8000-000000000000"


# --- helpers -------------------------------------------------------------------------

def tap_config(client):
    return (client.policies.authentication_methods_policy.authentication_method_configurations
            .by_authentication_method_configuration_id("TemporaryAccessPass"))


def passes(client, upn):
    return client.users.by_user_id(upn).authentication.temporary_access_pass_methods


async def graph_error(call) -> ODataError:
    """Awaits an SDK call that must fail, and returns the SDK's own error for it."""
    with pytest.raises(APIError) as caught:
        await call
    assert isinstance(caught.value, ODataError), (
        f"the SDK could not read Graph's error envelope: {caught.value!r}")
    assert caught.value.error is not None, "ODataError without its `error` object"
    return caught.value


async def audits(client, activity):
    query = DirectoryAuditsRequestBuilder.DirectoryAuditsRequestBuilderGetQueryParameters(
        filter=f"activityDisplayName eq '{activity}'")
    config = RequestConfiguration(query_parameters=query)
    page = await client.audit_logs.directory_audits.get(request_configuration=config)
    assert page is not None
    return page.value


@pytest.fixture(scope="module")
def story(cp):
    """Step 1: the cast, made through the control plane, and a token for each."""
    assert cp.ok("GET", "/_tapsim/health", status=200) == {"status": "ok"}
    cp.ok("POST", "/_tapsim/reset")
    cp.ok("DELETE", "/_tapsim/faults")

    group = cp.ok("POST", "/_tapsim/groups", {"displayName": GROUP}, status=201)
    assert group["displayName"] == GROUP and group["id"], group

    made = {
        "policy_admin": cp.add_user(POLICY_ADMIN, "Paula Policy",
                                    roles=["Authentication Policy Administrator"]),
        "help_desk": cp.add_user(HELP_DESK, "Henry Helpdesk",
                                 roles=["Authentication Administrator"]),
        "user": cp.add_user(USER, "Alice User", password=PASSWORD),
        "outsider": cp.add_user(OUTSIDER, "Dave Outsider", password=PASSWORD),
        "guest": cp.add_user(GUEST, "Carol Fabrikam", user_type="externalGuest"),
    }
    cp.ok("POST", f"/_tapsim/groups/{GROUP}/members", {"userPrincipalName": USER})

    return {
        "group_id": group["id"],
        "users": made,
        "tokens": {upn: cp.token(upn) for upn in (ADMIN, POLICY_ADMIN, HELP_DESK)},
    }


# --- the story -------------------------------------------------------------------------

def test_1_control_plane_made_the_cast(story):
    users = story["users"]
    for key, upn in [("policy_admin", POLICY_ADMIN), ("help_desk", HELP_DESK),
                     ("user", USER), ("outsider", OUTSIDER)]:
        assert users[key]["userPrincipalName"] == upn
        assert users[key]["userType"] == "Member"
        assert users[key]["id"]
    assert users["guest"]["userPrincipalName"] == GUEST
    assert users["guest"]["userType"] == "Guest"


async def test_1b_no_token_is_invalid_authentication_token(graph):
    err = await graph_error(tap_config(graph(None)).get())
    assert err.response_status_code == 401
    assert err.error.code == "InvalidAuthenticationToken"


async def test_2_policy_admin_enables_the_policy_for_the_group(story, graph):
    client = graph(story["tokens"][POLICY_ADMIN])

    before = await tap_config(client).get()
    assert before.state == AuthenticationMethodState.Disabled

    body = TemporaryAccessPassAuthenticationMethodConfiguration(
        state=AuthenticationMethodState.Enabled,
        include_targets=[AuthenticationMethodTarget(
            target_type=AuthenticationMethodTargetType.Group,
            id=story["group_id"],
            is_registration_required=False,
        )],
    )
    assert await tap_config(client).patch(body) is None  # 204, no body

    policy = await tap_config(client).get()
    assert isinstance(policy, TemporaryAccessPassAuthenticationMethodConfiguration), (
        f"@odata.type did not select the TAP configuration: {type(policy).__name__}")
    assert policy.id == "TemporaryAccessPass"
    assert policy.state == AuthenticationMethodState.Enabled
    assert policy.default_lifetime_in_minutes == 60
    assert policy.minimum_lifetime_in_minutes == 60
    assert policy.maximum_lifetime_in_minutes == 480
    assert policy.default_length == 8
    assert policy.is_usable_once is False
    assert [(t.target_type, t.id, t.is_registration_required)
            for t in policy.include_targets] == [
        (AuthenticationMethodTargetType.Group, story["group_id"], False)]
    assert policy.exclude_targets == []


async def test_3_help_desk_creates_a_one_time_pass(story, graph):
    client = graph(story["tokens"][HELP_DESK])
    created = await passes(client, USER).post(
        TemporaryAccessPassAuthenticationMethod(lifetime_in_minutes=60, is_usable_once=True))

    assert isinstance(created, TemporaryAccessPassAuthenticationMethod)
    assert created.id
    assert isinstance(created.temporary_access_pass, str)
    assert len(created.temporary_access_pass) == 8
    assert created.lifetime_in_minutes == 60
    assert created.is_usable_once is True
    assert created.is_usable is True
    assert created.method_usability_reason == "EnabledByPolicy"
    assert created.start_date_time is not None and created.created_date_time is not None
    story["pass_id"] = created.id
    story["secret"] = created.temporary_access_pass


async def test_4_list_and_get_hide_the_secret(story, graph):
    client = graph(story["tokens"][HELP_DESK])
    listed = await passes(client, USER).get()
    assert [p.id for p in listed.value] == [story["pass_id"]]
    assert listed.value[0].temporary_access_pass is None
    assert listed.value[0].is_usable is True
    assert listed.value[0].method_usability_reason == "EnabledByPolicy"

    one = await (passes(client, USER).by_temporary_access_pass_authentication_method_id(
        story["pass_id"]).get())
    assert one.id == story["pass_id"]
    assert one.temporary_access_pass is None
    assert one.lifetime_in_minutes == 60 and one.is_usable_once is True


async def test_5a_help_desk_cannot_issue_a_pass_to_themselves(story, graph):
    client = graph(story["tokens"][HELP_DESK])
    err = await graph_error(passes(client, HELP_DESK).post(TemporaryAccessPassAuthenticationMethod()))
    assert err.response_status_code == 403
    assert err.error.code == "accessDenied"


async def test_5b_no_pass_for_an_external_guest(story, graph):
    client = graph(story["tokens"][HELP_DESK])
    err = await graph_error(passes(client, GUEST).post(TemporaryAccessPassAuthenticationMethod()))
    assert err.response_status_code == 400
    assert err.error.code == "badRequest"
    assert err.error.message == EXTERNAL_GUEST_MESSAGE


async def test_5c_no_pass_for_a_user_outside_the_policy(story, graph):
    client = graph(story["tokens"][HELP_DESK])
    err = await graph_error(passes(client, OUTSIDER).post(
        TemporaryAccessPassAuthenticationMethod(lifetime_in_minutes=60, is_usable_once=True)))
    assert err.response_status_code == 400
    assert err.error.code == "badRequest"
    assert err.error.message == OUT_OF_POLICY_MESSAGE


async def test_5d_unknown_pass_id_is_item_not_found(story, graph):
    client = graph(story["tokens"][HELP_DESK])
    err = await graph_error(passes(client, USER).by_temporary_access_pass_authentication_method_id(
        UNKNOWN_PASS_ID).get())
    assert err.response_status_code == 404
    assert err.error.code == "itemNotFound"


async def test_6_the_pass_signs_in_once(story, graph, cp):
    first = cp.sign_in(USER, temporaryAccessPass=story["secret"])
    assert first["decision"] == "allowed", first
    assert first["session"]["id"]
    assert first["session"]["satisfiesMfa"] is True

    again = cp.sign_in(USER, temporaryAccessPass=story["secret"])
    assert again["decision"] == "denied", again
    assert again["reason"] == "passOneTimeUsed", again

    # S4: the password stays, and alone it is a single factor.
    password = cp.sign_in(USER, password=PASSWORD)
    assert password["decision"] == "allowed", password
    assert password["session"]["satisfiesMfa"] is False

    used = await (passes(graph(story["tokens"][HELP_DESK]), USER)
               .by_temporary_access_pass_authentication_method_id(story["pass_id"]).get())
    assert used.is_usable is False
    assert used.method_usability_reason == "OneTimeUsed"


async def test_7_help_desk_deletes_the_pass(story, graph):
    client = graph(story["tokens"][HELP_DESK])
    assert await (passes(client, USER).by_temporary_access_pass_authentication_method_id(
        story["pass_id"]).delete()) is None  # 204
    assert (await passes(client, USER).get()).value == []


async def test_8_admin_reads_the_audit_log(story, graph):
    client = graph(story["tokens"][ADMIN])

    registered = await audits(client, "Admin registered security info")
    assert len(registered) == 1, [a.activity_display_name for a in registered]
    record = registered[0]
    assert record.activity_display_name == "Admin registered security info"
    assert record.result_reason == "Admin registered temporary access pass method for user"
    assert record.category == "UserManagement"
    assert record.logged_by_service == "Authentication Methods"
    assert record.result == OperationResult.Success
    assert record.target_resources[0].user_principal_name == USER
    assert record.initiated_by.user.user_principal_name == HELP_DESK
    # A1: never the secret, anywhere in the record.
    values = [v for mp in record.target_resources[0].modified_properties or []
              for v in (mp.display_name, mp.old_value, mp.new_value) if v]
    assert values, "A1: the pass's id, start, end and usage as modified properties"
    assert all(story["secret"] not in v for v in values)

    deleted = await audits(client, "Admin deleted security info")
    assert len(deleted) == 1, [a.activity_display_name for a in deleted]
    assert deleted[0].target_resources[0].user_principal_name == USER
    assert deleted[0].result_reason == "Admin deleted temporary access pass method for user"


async def test_9a_the_retry_handler_rides_out_one_429(story, graph, cp):
    client = graph(story["tokens"][POLICY_ADMIN])
    cp.ok("DELETE", "/_tapsim/faults")
    cp.ok("POST", "/_tapsim/faults", {"method": "GET", "path": "/v1.0/policies/*",
                                      "status": 429, "retryAfter": 1, "count": 1})
    try:
        policy = await tap_config(client).get()
        assert policy.state == AuthenticationMethodState.Enabled
    finally:
        cp.ok("DELETE", "/_tapsim/faults")


async def test_9b_the_sdk_gives_up_after_three_retries(story, graph, cp):
    client = graph(story["tokens"][POLICY_ADMIN])
    cp.ok("DELETE", "/_tapsim/faults")
    cp.ok("POST", "/_tapsim/faults", {"method": "GET", "path": "/v1.0/policies/*",
                                      "status": 429, "retryAfter": 1, "count": 4})
    try:
        err = await graph_error(tap_config(client).get())
        assert err.response_status_code == 429
        assert err.error.code == "TooManyRequests"
        assert err.response_headers is not None and "retry-after" in err.response_headers

        # The first try and three retries used up all four faults: with retries off,
        # the next call goes straight through.
        no_retry = RequestConfiguration(options=[RetryHandlerOption(should_retry=False)])
        policy = await tap_config(client).get(request_configuration=no_retry)
        assert policy.state == AuthenticationMethodState.Enabled
    finally:
        cp.ok("DELETE", "/_tapsim/faults")
