#!/usr/bin/env python3
"""What the native stack (deploy/native/up.sh) is doing, read from its own APIs: every Druid
supervisor with its state and history (one entry per spec change: a second up.sh must add
none), row counts per datasource, each Superset dataset through the chart-data API, and
Prometheus' targets and alerts. Exit 1 when a part does not answer or a dataset errs (one without rows in
Druid yet does not count).

Usage: deploy/native/check.py [--dir DIR]   (default $IOT_GATEWAY_NATIVE_DIR, else /tmp/iot-gateway-native)
"""
import json
import os
import sys
import urllib.error
import urllib.request

args = sys.argv[1:]
stack = args[args.index("--dir") + 1] if "--dir" in args else os.environ.get("IOT_GATEWAY_NATIVE_DIR", "/tmp/iot-gateway-native")
secrets = dict(l.strip().split("=", 1) for l in open(os.path.join(stack, "secrets.env")) if "=" in l)
DRUID, SUPERSET, PROMETHEUS = "http://127.0.0.1:8888", "http://127.0.0.1:8088", "http://127.0.0.1:9090"
ok = True


def call(url, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()[:300]
    except OSError as e:
        return 0, str(e)


status, sups = call(DRUID + "/druid/indexer/v1/supervisor?state=true")
ok &= status == 200
print("Druid supervisors:" if status == 200 else f"Druid: {status} {sups}")
for s in sups if status == 200 else []:
    _, history = call(f"{DRUID}/druid/indexer/v1/supervisor/{s['id']}/history")
    versions = [h["version"] for h in history] if isinstance(history, list) else history
    print(f"  {s['id']}: {s['state']}, history {len(versions)} entr{'y' if len(versions) == 1 else 'ies'} {versions}")
status, rows = call(DRUID + "/druid/v2/sql", {"query": "SELECT datasource, SUM(num_rows) AS n FROM sys.segments GROUP BY 1"})
ok &= status == 200
print("Druid rows (published segments):", {r["datasource"]: r["n"] for r in rows} if status == 200 else rows)

status, login = call(SUPERSET + "/api/v1/security/login", {"username": "admin", "password": secrets["SUPERSET_ADMIN_PASSWORD"], "provider": "db"})
ok &= status == 200
if status == 200:
    token = login["access_token"]
    _, dashboards = call(SUPERSET + "/api/v1/dashboard/?q=(page_size:100)", token=token)
    print("Superset dashboards:", [d["dashboard_title"] for d in dashboards["result"]])
    _, datasets = call(SUPERSET + "/api/v1/dataset/?q=(page_size:100)", token=token)
    for d in datasets["result"]:
        query = {"datasource": {"id": d["id"], "type": "table"}, "force": True,
                 "queries": [{"metrics": ["count"], "columns": [], "row_limit": 1}]}
        status, r = call(SUPERSET + "/api/v1/chart/data", query, token=token)
        # A datasource appears with its first row (ALERTS: with the first alert).
        empty = status != 200 and "not found within" in str(r)
        ok &= status == 200 or empty
        got = r["result"][0]["data"] if status == 200 else "no rows in Druid yet" if empty else r
        print(f"  dataset {d['table_name']} ({d['database']['database_name']}): {status} {got}")
else:
    print("Superset:", status, login)

status, targets = call(PROMETHEUS + "/api/v1/targets")
ok &= status == 200
if status == 200:
    print("Prometheus targets:", [(t["scrapeUrl"], t["health"]) for t in targets["data"]["activeTargets"]])
    _, alerts = call(PROMETHEUS + "/api/v1/alerts")
    print("Prometheus alerts:", [(a["labels"]["alertname"], a["labels"].get("sink", ""), a["state"]) for a in alerts["data"]["alerts"]])
sys.exit(0 if ok else 1)
