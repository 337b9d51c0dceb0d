#!/usr/bin/env python3
"""The Prometheus alert rules shipped in deploy/prometheus/: promtool check rules and promtool
test rules pass, and every alert has a test case where it fires and one where it stays silent.

Usage: prometheus_rules_test.py [RULES_DIR]   (default: deploy/prometheus next to tests/)
"""
import pathlib
import shutil
import subprocess
import sys

import yaml

here = pathlib.Path(__file__).resolve().parent
rules_dir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "deploy" / "prometheus"
rules = rules_dir / "iot-gateway-alerts.yml"
tests = rules_dir / "iot-gateway-alerts.test.yml"


def fail(message):
    print(f"prometheus-rules: FAILED: {message}")
    sys.exit(1)


promtool = shutil.which("promtool")
if not promtool:
    fail("promtool is missing (apt-get install prometheus; scripts/install-deps.sh does it)")

for args in (["check", "rules", rules.name], ["test", "rules", tests.name]):
    run = subprocess.run([promtool, *args], cwd=rules_dir, capture_output=True, text=True)
    print(run.stdout + run.stderr)
    if run.returncode != 0:
        fail("promtool " + " ".join(args))

alerts = [r["alert"] for g in yaml.safe_load(rules.read_text())["groups"]
          for r in g["rules"] if "alert" in r]
fires, silent = set(), set()
for case in yaml.safe_load(tests.read_text())["tests"]:
    for t in case.get("alert_rule_test", []):
        (fires if t.get("exp_alerts") else silent).add(t["alertname"])
untested = [a for a in alerts if a not in fires or a not in silent]
if untested:
    fail("alerts without a firing and a silent test case: " + ", ".join(untested))
print(f"prometheus-rules: {len(alerts)} alerts, each tested firing and silent")
