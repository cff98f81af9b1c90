"""A round trip through a client generated from the served OpenAPI document
(openapi-python-client): create, read, update, list with a cursor, delete,
plus the 403 and 401 a real integration meets. Every problem `type` must
resolve to this server's own error page, with an anchor for its code.

Run by scripts/contract.sh with BASE, FULL_KEY and READ_KEY set."""

import os
import sys
import uuid

import httpx

from leadline_client import AuthenticatedClient, Client
from leadline_client.api.leads import (
    create_lead,
    delete_lead,
    get_lead,
    list_leads,
    update_lead,
)
from leadline_client.api.leaked_keys import report_leaked_keys
from leadline_client.models import (
    LeadDraft,
    LeadList,
    LeadPatch,
    LeadStatus,
    LeakReport,
    Lead,
    Problem,
)
from leadline_client.models.problem_code import ProblemCode

BASE = os.environ["BASE"]
FULL_KEY = os.environ["FULL_KEY"]
READ_KEY = os.environ["READ_KEY"]

full = AuthenticatedClient(base_url=BASE, token=FULL_KEY, raise_on_unexpected_status=True)
read_only = AuthenticatedClient(base_url=BASE, token=READ_KEY, raise_on_unexpected_status=True)
anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)
checked = 0


def check(condition, message):
    global checked
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    checked += 1


def check_problem(response, status, code, key=None):
    check(response.status_code == status, f"status {response.status_code}, wanted {status}")
    problem = response.parsed
    check(isinstance(problem, Problem), f"a Problem, got {problem!r}")
    check(problem.code == ProblemCode(code), f"code {problem.code}, wanted {code}")
    check(problem.status == status, "the problem repeats the status")
    check(
        response.headers["content-type"] == "application/problem+json",
        "problem details are application/problem+json",
    )
    if key is not None:
        check(problem.key_prefix == key[:14], "the problem names the key's 14-character prefix")
    # The type is this server's own page, with an anchor for the code.
    check(problem.type_ == f"{BASE}/docs/errors#{code}", f"type {problem.type_}")
    page = httpx.get(problem.type_.split("#")[0])
    check(page.status_code == 200, f"{problem.type_} resolves")
    check(f'id="{code}"' in page.text, f"{problem.type_} has an anchor for {code}")
    return problem


# Create: three leads with a marker no other test data has.
marker = uuid.uuid4().hex[:10]
created = []
for i in range(3):
    response = create_lead.sync_detailed(
        client=full,
        body=LeadDraft(
            name=f"Round trip {i} {marker}",
            email=f"round.trip{i}@example.com",
            company=f"Generated client {marker}",
            status=LeadStatus.NEW,
        ),
    )
    check(response.status_code == 201, f"create answered {response.status_code}")
    lead = response.parsed
    check(isinstance(lead, Lead), "create returns the lead")
    check(response.headers["location"] == f"/api/v1/leads/{lead.id}", "Location names the lead")
    created.append(lead)

# Read.
first = created[0]
response = get_lead.sync_detailed(id=first.id, client=full)
check(response.status_code == 200, "get answered 200")
check(response.parsed.name == first.name, "get returns what was created")
check(response.parsed.email == "round.trip0@example.com", "the email is kept")
check(int(response.headers["ratelimit-remaining"]) >= 0, "RateLimit headers are sent")

# Update: only the fields sent change.
response = update_lead.sync_detailed(
    id=first.id, client=full, body=LeadPatch(status=LeadStatus.WON, notes="Signed.")
)
check(response.status_code == 200, "update answered 200")
check(response.parsed.status == LeadStatus.WON, "the status changed")
check(response.parsed.notes == "Signed.", "the notes changed")
check(response.parsed.name == first.name, "the name did not")

# List with a cursor: two pages of the three leads, newest first.
pages, cursor = [], None
while True:
    kwargs = {"cursor": cursor} if cursor else {}
    response = list_leads.sync_detailed(client=full, limit=2, q=marker, **kwargs)
    check(response.status_code == 200, "list answered 200")
    check(isinstance(response.parsed, LeadList), "list returns a LeadList")
    pages.append([lead.id for lead in response.parsed.data])
    cursor = response.parsed.next_cursor
    if not cursor:
        break
check(len(pages) == 2 and len(pages[0]) == 2 and len(pages[1]) == 1, f"pages {pages}")
check(
    [i for page in pages for i in page] == sorted((lead.id for lead in created), reverse=True),
    "the pages hold every lead once, newest first",
)
response = list_leads.sync_detailed(client=full, status=LeadStatus.WON, q=marker)
check([lead.id for lead in response.parsed.data] == [first.id], "the status filter works")

# 403: a read-only key cannot create.
response = create_lead.sync_detailed(client=read_only, body=LeadDraft(name="Not allowed"))
check_problem(response, 403, "insufficient_permission", key=READ_KEY)
check("leads:create" in response.headers["www-authenticate"], "the challenge names the scope")

# 401: no key, a key with a mistyped character (its checksum fails), then a
# token shaped like a key that is not one.
response = list_leads.sync_detailed(client=anonymous)
check_problem(response, 401, "missing_credentials")
check(response.headers["www-authenticate"].startswith("Bearer"), "a Bearer challenge")
typo = FULL_KEY[:30] + ("y" if FULL_KEY[30] == "x" else "x") + FULL_KEY[31:]
mistyped = AuthenticatedClient(base_url=BASE, token=typo, raise_on_unexpected_status=True)
check_problem(get_lead.sync_detailed(id=first.id, client=mistyped), 401, "malformed_key", key=FULL_KEY)
unknown = AuthenticatedClient(
    base_url=BASE, token="sk_Unknown1_" + "x" * 32, raise_on_unexpected_status=True
)
check_problem(get_lead.sync_detailed(id=first.id, client=unknown), 401, "malformed_key")

# Delete, then the lead is gone.
for lead in created:
    response = delete_lead.sync_detailed(id=lead.id, client=full)
    check(response.status_code == 204, f"delete answered {response.status_code}")
check_problem(get_lead.sync_detailed(id=first.id, client=full), 404, "not_found")
response = list_leads.sync_detailed(client=full, q=marker)
check(response.parsed.data == [], "deleted leads are not listed")

# 422 with field errors, through the client's own model.
response = create_lead.sync_detailed(client=full, body=LeadDraft(name="Ada", email="not-an-email"))
problem = check_problem(response, 422, "validation_failed")
check([e.field for e in problem.errors] == ["email"], "the field error names email")

# A leak report, with no credentials: the same 202 whether or not anything
# matched, and the reported key is revoked at once.
for keys in (["not a key", "sk_Unknown1_" + "x" * 32], [READ_KEY]):
    response = report_leaked_keys.sync_detailed(client=anonymous, body=LeakReport(keys=keys))
    check(response.status_code == 202, f"a leak report answered {response.status_code}")
    check(response.parsed.status == "received", "the same answer whatever matched")
check_problem(list_leads.sync_detailed(client=read_only), 401, "key_revoked", key=READ_KEY)

print(f"Generated client round trip: {checked} checks passed.")
