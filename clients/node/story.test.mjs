// The account-recovery story (docs/spec/graph-server.md, "Proof that it is Graph"),
// walked with Microsoft's JavaScript Graph client (@microsoft/microsoft-graph-client)
// against `tapsim serve`. Run with `node --test` and TAPSIM_URL set to the server's base
// URL; .ci/sdk-tests starts the server with `--as admin@contoso.com`.
//
// How the client is pointed and who it acts as:
// - The stock client, `Client.init({ baseUrl, defaultVersion: "v1.0", authProvider })`,
//   never sends its token to a plain-http host (its AuthenticationHandler sends one only
//   to https Graph hosts, and strips Authorization elsewhere). Its requests reach tapsim
//   without a token, and `--as` makes them the Global Administrator's.
// - To act as anyone else (the policy admin, the help desk), the client is built with
//   `Client.initWithMiddleware` and the stock chain in which only the authentication
//   step is ours: it adds `Authorization: Bearer <token minted by /_tapsim/tokens>` for
//   the loopback host. The SDK's RetryHandler, RedirectHandler, TelemetryHandler,
//   HTTPMessageHandler, response handling and GraphError stay as shipped.
// Setup and sign-in go through tapsim's control plane (plain fetch), which is not Graph.

import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  GraphError,
  HTTPMessageHandler,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";

const ADMIN = "admin@contoso.com";
const POLICY_ADMIN = "paula@contoso.com";
const HELP_DESK = "henry@contoso.com";
const USER = "alice@contoso.com";
const OUTSIDER = "dave@contoso.com";
const GUEST = "carol_fabrikam.com#EXT#@contoso.com";
const GROUP = "Recovery";
const PASSWORD = "Correct-Horse-Battery-9";

const EXTERNAL_GUEST_MESSAGE = "Temporary Access Pass cannot be added to an external guest user.";
const OUT_OF_POLICY_MESSAGE =
  "Converged UserCredentialPolicy does not allow creating or updating this " +
  "authentication method. AuthMethodType [TemporaryAccessPass].";
const UNKNOWN_PASS_ID = "00000000-0000-4000-8000-000000000000";

const TAP_POLICY = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";
const passesOf = (upn) => `/users/${encodeURIComponent(upn)}/authentication/temporaryAccessPassMethods`;
const passOf = (upn, id) => `${passesOf(upn)}/${encodeURIComponent(id)}`;

function baseUrl() {
  const url = (process.env.TAPSIM_URL ?? "").replace(/\/+$/, "");
  assert.match(url, /^http:\/\/127\.0\.0\.1:[0-9]{1,5}$/,
    `TAPSIM_URL must be tapsim serve's loopback base URL (http://127.0.0.1:PORT), got ${JSON.stringify(url)}`);
  return url;
}

// --- tapsim's control plane: plain JSON, not Graph ------------------------------------

async function control(method, path, body) {
  const response = await fetch(baseUrl() + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text.trim() ? JSON.parse(text) : null };
}

// A call that must succeed: with the given status, or any 2xx when the contract names
// none (reset, group members, faults).
async function ok(method, path, body, status) {
  const got = await control(method, path, body);
  const detail = `${method} ${path}: got ${got.status} ${JSON.stringify(got.body)}`;
  if (status === undefined) assert.ok(got.status >= 200 && got.status < 300, detail);
  else assert.equal(got.status, status, detail);
  return got.body;
}

const addUser = (upn, displayName, extra = {}) =>
  ok("POST", "/_tapsim/users", { userPrincipalName: upn, displayName, userType: "member", roles: [], ...extra }, 201);

async function mintToken(upn) {
  const minted = await ok("POST", "/_tapsim/tokens", { userPrincipalName: upn }, 200);
  assert.equal(minted.token_type, "Bearer");
  assert.equal(minted.expires_in, 3600);
  assert.ok(typeof minted.access_token === "string" && minted.access_token.length > 0);
  return minted.access_token;
}

const signIn = (upn, credential) => ok("POST", "/_tapsim/signIns", { userPrincipalName: upn, ...credential }, 200);

// --- the Graph clients -------------------------------------------------------------------

// The stock client and chain. Over plain http it sends no token: tapsim's `--as` user.
function stockClient() {
  return Client.init({
    baseUrl: baseUrl(),
    defaultVersion: "v1.0",
    authProvider: (done) => done(null, "the-stock-client-keeps-this-off-plain-http"),
  });
}

// The stock chain's authentication step, for a token tapsim minted, sent to loopback only.
class LoopbackBearer {
  constructor(token) {
    this.token = token;
  }
  async execute(context) {
    const url = typeof context.request === "string" ? context.request : context.request.url;
    if (new URL(url).hostname === "127.0.0.1") {
      const value = `Bearer ${this.token}`;
      if (context.options.headers instanceof Headers) context.options.headers.set("Authorization", value);
      else context.options.headers = { ...(context.options.headers ?? {}), Authorization: value };
    }
    return await this.next.execute(context);
  }
  setNext(next) {
    this.next = next;
  }
}

function clientAs(token) {
  return Client.initWithMiddleware({
    baseUrl: baseUrl(),
    defaultVersion: "v1.0",
    middleware: [
      new LoopbackBearer(token),
      new RetryHandler(new RetryHandlerOptions()),
      new RedirectHandler(new RedirectHandlerOptions()),
      new TelemetryHandler(),
      new HTTPMessageHandler(),
    ],
  });
}

// Awaits a Graph call that must fail, and returns the SDK's own error for it.
async function graphError(promise) {
  let caught;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof GraphError, `not a GraphError: ${caught?.stack ?? caught}`);
  return caught;
}

// --- the story -----------------------------------------------------------------------------

describe("the account-recovery story through @microsoft/microsoft-graph-client", () => {
  const story = {};
  let admin, policyAdmin, helpDesk;

  before(async () => {
    assert.deepEqual(await ok("GET", "/_tapsim/health", undefined, 200), { status: "ok" });
    await ok("POST", "/_tapsim/reset");
    await ok("DELETE", "/_tapsim/faults");
  });

  it("1. the control plane makes the cast and mints their tokens", async () => {
    const group = await ok("POST", "/_tapsim/groups", { displayName: GROUP }, 201);
    assert.equal(group.displayName, GROUP);
    assert.ok(group.id);
    story.groupId = group.id;

    const made = [
      await addUser(POLICY_ADMIN, "Paula Policy", { roles: ["Authentication Policy Administrator"] }),
      await addUser(HELP_DESK, "Henry Helpdesk", { roles: ["Authentication Administrator"] }),
      await addUser(USER, "Alice User", { password: PASSWORD }),
      await addUser(OUTSIDER, "Dave Outsider", { password: PASSWORD }),
    ];
    for (const user of made) {
      assert.equal(user.userType, "Member");
      assert.ok(user.id);
    }
    assert.deepEqual(made.map((u) => u.userPrincipalName), [POLICY_ADMIN, HELP_DESK, USER, OUTSIDER]);
    const guest = await addUser(GUEST, "Carol Fabrikam", { userType: "externalGuest" });
    assert.equal(guest.userPrincipalName, GUEST);
    assert.equal(guest.userType, "Guest");
    await ok("POST", `/_tapsim/groups/${encodeURIComponent(GROUP)}/members`, { userPrincipalName: USER });

    admin = stockClient();
    policyAdmin = clientAs(await mintToken(POLICY_ADMIN));
    helpDesk = clientAs(await mintToken(HELP_DESK));
  });

  it("1b. an unknown token is InvalidAuthenticationToken, even with --as", async () => {
    const err = await graphError(clientAs("not-a-token-tapsim-minted").api(TAP_POLICY).get());
    assert.equal(err.statusCode, 401);
    assert.equal(err.code, "InvalidAuthenticationToken");
  });

  it("2. the policy admin enables the policy for the group", async () => {
    const before = await policyAdmin.api(TAP_POLICY).get();
    assert.equal(before.state, "disabled");

    const patched = await policyAdmin.api(TAP_POLICY).patch({
      "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
      state: "enabled",
      includeTargets: [{ targetType: "group", id: story.groupId, isRegistrationRequired: false }],
    });
    assert.equal(patched, undefined); // 204, no body

    const policy = await policyAdmin.api(TAP_POLICY).get();
    assert.equal(policy["@odata.type"], "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration");
    assert.equal(policy.id, "TemporaryAccessPass");
    assert.equal(policy.state, "enabled");
    assert.equal(policy.defaultLifetimeInMinutes, 60);
    assert.equal(policy.minimumLifetimeInMinutes, 60);
    assert.equal(policy.maximumLifetimeInMinutes, 480);
    assert.equal(policy.defaultLength, 8);
    assert.equal(policy.isUsableOnce, false);
    assert.deepEqual(
      policy.includeTargets.map((t) => [t.targetType, t.id, t.isRegistrationRequired]),
      [["group", story.groupId, false]],
    );
    assert.deepEqual(policy.excludeTargets, []);
  });

  it("3. the help desk creates a one-time pass", async () => {
    const created = await helpDesk.api(passesOf(USER)).post({ lifetimeInMinutes: 60, isUsableOnce: true });
    assert.equal(created["@odata.type"], "#microsoft.graph.temporaryAccessPassAuthenticationMethod");
    assert.ok(created.id);
    assert.equal(typeof created.temporaryAccessPass, "string");
    assert.equal(created.temporaryAccessPass.length, 8);
    assert.equal(created.lifetimeInMinutes, 60);
    assert.equal(created.isUsableOnce, true);
    assert.equal(created.isUsable, true);
    assert.equal(created.methodUsabilityReason, "EnabledByPolicy");
    assert.ok(created.startDateTime && created.createdDateTime);
    story.passId = created.id;
    story.secret = created.temporaryAccessPass;
  });

  it("4. the list and the pass read back without the secret", async () => {
    const listed = await helpDesk.api(passesOf(USER)).get();
    assert.ok(Array.isArray(listed.value), JSON.stringify(listed));
    assert.deepEqual(listed.value.map((p) => p.id), [story.passId]);
    assert.equal(listed.value[0].temporaryAccessPass, null);
    assert.equal(listed.value[0].isUsable, true);
    assert.equal(listed.value[0].methodUsabilityReason, "EnabledByPolicy");
    assert.equal(
      listed["@odata.context"],
      `https://graph.microsoft.com/v1.0/$metadata#users('${encodeURIComponent(USER)}')/authentication/temporaryAccessPassMethods`,
    );

    const one = await helpDesk.api(passOf(USER, story.passId)).get();
    assert.equal(one.id, story.passId);
    assert.equal(one.temporaryAccessPass, null);
    assert.equal(one.lifetimeInMinutes, 60);
    assert.equal(one.isUsableOnce, true);
  });

  it("5a. the help desk cannot issue a pass to themselves (the token's user, not --as)", async () => {
    const err = await graphError(helpDesk.api(passesOf(HELP_DESK)).post({}));
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, "accessDenied");
  });

  it("5b. no pass for an external guest", async () => {
    const err = await graphError(helpDesk.api(passesOf(GUEST)).post({}));
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, "badRequest");
    assert.equal(err.message, EXTERNAL_GUEST_MESSAGE);
  });

  it("5c. no pass for a user outside the policy", async () => {
    const err = await graphError(helpDesk.api(passesOf(OUTSIDER)).post({ lifetimeInMinutes: 60, isUsableOnce: true }));
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, "badRequest");
    assert.equal(err.message, OUT_OF_POLICY_MESSAGE);
  });

  it("5d. an unknown pass id is itemNotFound", async () => {
    const err = await graphError(helpDesk.api(passOf(USER, UNKNOWN_PASS_ID)).get());
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "itemNotFound");
    assert.ok(err.requestId, "innerError's request-id");
  });

  it("6. the pass signs in once", async () => {
    const first = await signIn(USER, { temporaryAccessPass: story.secret });
    assert.equal(first.decision, "allowed", JSON.stringify(first));
    assert.ok(first.session.id);
    assert.equal(first.session.satisfiesMfa, true);

    const again = await signIn(USER, { temporaryAccessPass: story.secret });
    assert.equal(again.decision, "denied", JSON.stringify(again));
    assert.equal(again.reason, "passOneTimeUsed");

    // S4: the password stays, and alone it is a single factor.
    const password = await signIn(USER, { password: PASSWORD });
    assert.equal(password.decision, "allowed", JSON.stringify(password));
    assert.equal(password.session.satisfiesMfa, false);

    const used = await helpDesk.api(passOf(USER, story.passId)).get();
    assert.equal(used.isUsable, false);
    assert.equal(used.methodUsabilityReason, "OneTimeUsed");
  });

  it("7. the help desk deletes the pass", async () => {
    assert.equal(await helpDesk.api(passOf(USER, story.passId)).delete(), undefined); // 204
    const listed = await helpDesk.api(passesOf(USER)).get();
    assert.deepEqual(listed.value, []);
  });

  it("8. the Global Administrator (the stock client, --as) reads the audit log", async () => {
    const registered = await admin
      .api("/auditLogs/directoryAudits")
      .filter("activityDisplayName eq 'Admin registered security info'")
      .get();
    assert.equal(registered["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits");
    assert.equal(registered.value.length, 1, JSON.stringify(registered.value.map((a) => a.activityDisplayName)));
    const record = registered.value[0];
    assert.equal(record.activityDisplayName, "Admin registered security info");
    assert.equal(record.resultReason, "Admin registered temporary access pass method for user");
    assert.equal(record.category, "UserManagement");
    assert.equal(record.loggedByService, "Authentication Methods");
    assert.equal(record.result, "success");
    assert.equal(record.targetResources[0].userPrincipalName, USER);
    assert.equal(record.initiatedBy.user.userPrincipalName, HELP_DESK);
    assert.ok(!JSON.stringify(record).includes(story.secret), "A1: the secret must not be in the record");

    const deleted = await admin
      .api("/auditLogs/directoryAudits")
      .filter("activityDisplayName eq 'Admin deleted security info'")
      .get();
    assert.equal(deleted.value.length, 1, JSON.stringify(deleted.value.map((a) => a.activityDisplayName)));
    assert.equal(deleted.value[0].targetResources[0].userPrincipalName, USER);
    assert.equal(deleted.value[0].resultReason, "Admin deleted temporary access pass method for user");
  });

  it("9a. the stock RetryHandler rides out one 429", async () => {
    await ok("DELETE", "/_tapsim/faults");
    await ok("POST", "/_tapsim/faults", { method: "GET", path: "/v1.0/policies/*", status: 429, retryAfter: 1, count: 1 });
    try {
      const policy = await admin.api(TAP_POLICY).get();
      assert.equal(policy.state, "enabled");
    } finally {
      await ok("DELETE", "/_tapsim/faults");
    }
  });

  it("9b. the stock RetryHandler gives up after three retries", async () => {
    await ok("DELETE", "/_tapsim/faults");
    await ok("POST", "/_tapsim/faults", { method: "GET", path: "/v1.0/policies/*", status: 429, retryAfter: 1, count: 4 });
    try {
      const err = await graphError(admin.api(TAP_POLICY).get());
      assert.equal(err.statusCode, 429);
      assert.equal(err.code, "TooManyRequests");
      assert.ok(err.headers?.get("retry-after"), "Retry-After on the 429");

      // The first try and three retries used up all four faults: with retries off,
      // the next call goes straight through.
      const policy = await admin.api(TAP_POLICY).middlewareOptions([new RetryHandlerOptions(0, 0)]).get();
      assert.equal(policy.state, "enabled");
    } finally {
      await ok("DELETE", "/_tapsim/faults");
    }
  });
});
