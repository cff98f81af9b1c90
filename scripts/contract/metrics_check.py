"""Scrapes the metrics endpoint after the contract run and reads it with
the Prometheus project's own parser (prometheus_client), not ours: the page
must parse, hold every family operators were promised, and keep its labels
to bounded sets (no key prefixes, organisations or paths)."""

import os
import re
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

METRICS = os.environ["METRICS_URL"]
PUBLIC = os.environ["BASE"]

text = urllib.request.urlopen(METRICS, timeout=10).read().decode()
families = {f.name: f for f in text_string_to_metric_families(text)}

# prometheus_client names counters without their _total suffix.
expected = {
    "leadline_api_requests": "counter",
    "leadline_api_request_duration_seconds": "histogram",
    "leadline_credential_cache_lookups": "counter",
    "leadline_flush_last_success_timestamp_seconds": "gauge",
    "leadline_flush_waiting_rows": "gauge",
    "leadline_db_pool_connections": "gauge",
    "leadline_throttle_blocks": "counter",
    "leadline_rate_limit_denials": "counter",
    "leadline_notifications": "counter",
    "leadline_notifications_lease_held": "gauge",
}
problems = []
for name, kind in expected.items():
    family = families.get(name)
    if family is None:
        problems.append(f"missing family {name}")
    elif family.type != kind:
        problems.append(f"{name} is a {family.type}, not a {kind}")

requests = families.get("leadline_api_requests")
if requests:
    total = sum(s.value for s in requests.samples)
    if total < 100:
        problems.append(f"only {total} API requests counted after the contract run")
    classes = {s.labels.get("status_class") for s in requests.samples}
    if not {"2xx", "4xx"} <= classes:
        problems.append(f"status classes seen: {classes}")
latency = families.get("leadline_api_request_duration_seconds")
if latency and not any(s.name.endswith("_bucket") for s in latency.samples):
    problems.append("the latency histogram has no buckets")

# Bounded labels: route templates or "unmatched", fixed names elsewhere.
for family in families.values():
    for sample in family.samples:
        for label, value in sample.labels.items():
            if label == "le":
                continue
            if label == "route":
                ok = value == "unmatched" or re.fullmatch(r"/api/v1/[a-z0-9_./{}-]*", value)
            else:
                ok = re.fullmatch(r"[a-z0-9_]+", value)
            if not ok or value.startswith("sk_") or re.search(r"\d{3,}", value):
                problems.append(f"unbounded label {sample.name}{{{label}={value!r}}}")

# Never on the public address.
try:
    urllib.request.urlopen(f"{PUBLIC}/metrics", timeout=10)
    problems.append("/metrics answers on the public address")
except urllib.error.HTTPError as e:
    if e.code != 404:
        problems.append(f"/metrics on the public address answered {e.code}")

if problems:
    print("Metrics check failed:", *problems, sep="\n  ")
    sys.exit(1)
print(f"Metrics: {len(families)} families parsed, labels bounded, not on the public address.")
