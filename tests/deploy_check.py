#!/usr/bin/python3
"""Static checks of deploy/: the compose file, the Druid environment file, the Superset image
and import bundle, the gateway's deploy config and the up/down scripts.

Docker does not run where this test runs, so nothing is started: the files are parsed and
cross-checked against each other and against the gateway binary (check-config, and
`druid provision --dry-run` once the binary has it).

Usage: /usr/bin/python3 tests/deploy_check.py PATH/TO/iot-gateway
Prints one line per check (ok / FAIL / skipped) and exits 1 if any check failed.
Needs python3-yaml (scripts/install-deps.sh installs it).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid as uuidlib
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

try:
    import yaml
except ImportError:  # pragma: no cover
    print("FAIL: the Python module yaml is missing; install python3-yaml "
          "(scripts/install-deps.sh does)")
    sys.exit(1)

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BUNDLE = DEPLOY / "superset" / "bundle"

# Streams and their default Kafka topics / Druid datasources (contract §2, §7).
STREAM_TOPICS = {
    "sales": "SALES",
    "devices": "DEVICES",
    "events": "EVENTS",
    "events_geo": "EVENTS_GEO",
    "sales_aggregate": "SALES_AGGREGATE",
    "alerts": "ALERTS",
}

# The Druid columns of the datasources the dashboard uses (the timestamp field becomes
# __time): contract §3 plus latitude/longitude split out of deviceLocation.
DRUID_COLUMNS = {
    "SALES_AGGREGATE": {"__time", "store_id", "window_start", "aggregated_sales", "sales_count",
                        "gateway_id"},
    "ALERTS": {"__time", "window_start", "deviceId", "store_id", "deviceLocation", "latitude",
               "longitude", "total_count_per_deviceid", "avg_error_count", "std_error_count",
               "gateway_id"},
    "EVENTS_GEO": {"__time", "deviceId", "store_id", "deviceCity", "deviceRegion",
                   "deviceLocation", "latitude", "longitude", "messageName",
                   "eventNotificationName", "timestamp", "event_id", "gateway_id"},
    "SALES": {"__time", "store_id", "sale_amount"},
}

DRUID_EXTENSIONS_REQUIRED = {"druid-kafka-indexing-service", "druid-avro-extensions",
                             "druid-basic-security"}
DRUID_EXTENSIONS_DEFAULT = {"druid-histogram", "druid-datasketches",
                            "druid-lookups-cached-global", "postgresql-metadata-storage",
                            "druid-multi-stage-query"}

SERVICES = {"kafka", "schema-registry", "postgres", "zookeeper", "coordinator", "broker",
            "historical", "middlemanager", "router", "superset"}
DRUID_SERVICES = {"coordinator": ("coordinator", 8081), "broker": ("broker", 8082),
                  "historical": ("historical", 8083), "middlemanager": ("middleManager", 8091),
                  "router": ("router", 8888)}
PUBLISHED = {9092: "kafka", 8081: "schema-registry", 8888: "router", 8088: "superset"}
HEALTH_PROBES = {"kafka": "kafka-broker-api-versions", "schema-registry": "/subjects",
                 "router": "/status/health", "coordinator": "/status/health",
                 "broker": "/status/health", "historical": "/status/health",
                 "middlemanager": "/status/health", "superset": "/health"}

DRUID_SINK_KEYS = {"enabled", "url", "username", "password", "streams", "flush_interval",
                   "max_batch_bytes", "provision_supervisors", "kafka_bootstrap",
                   "schema_registry_url"}

# Keys the Superset 4.1 importer accepts (a conservative subset of its marshmallow schemas,
# which reject unknown keys).
SUPERSET_KEYS = {
    "metadata": {"version", "type", "timestamp"},
    "database": {"database_name", "sqlalchemy_uri", "password", "cache_timeout",
                 "expose_in_sqllab", "allow_run_async", "allow_ctas", "allow_cvas", "allow_dml",
                 "allow_csv_upload", "allow_file_upload", "impersonate_user", "extra", "uuid",
                 "version", "is_managed_externally", "external_url"},
    "dataset": {"table_name", "main_dttm_col", "description", "default_endpoint", "offset",
                "cache_timeout", "schema", "sql", "params", "template_params",
                "filter_select_enabled", "fetch_values_predicate", "extra", "uuid", "columns",
                "metrics", "version", "database_uuid", "data", "is_managed_externally",
                "external_url", "normalize_columns", "always_filter_main_dttm"},
    "column": {"column_name", "extra", "verbose_name", "is_dttm", "is_active", "type",
               "advanced_data_type", "groupby", "filterable", "expression", "description",
               "python_date_format"},
    "metric": {"metric_name", "verbose_name", "metric_type", "expression", "description",
               "d3format", "extra", "warning_text"},
    "chart": {"slice_name", "description", "certified_by", "certification_details", "viz_type",
              "params", "query_context", "cache_timeout", "uuid", "version", "dataset_uuid",
              "is_managed_externally", "external_url"},
    "dashboard": {"dashboard_title", "description", "css", "slug", "uuid", "position",
                  "metadata", "version", "certified_by", "certification_details", "published",
                  "is_managed_externally", "external_url"},
}
SUPERSET_REQUIRED = {
    "metadata": {"version", "type", "timestamp"},
    "database": {"database_name", "sqlalchemy_uri", "uuid", "version"},
    "dataset": {"table_name", "uuid", "database_uuid", "version", "columns", "metrics"},
    "chart": {"slice_name", "viz_type", "params", "uuid", "dataset_uuid", "version"},
    "dashboard": {"dashboard_title", "uuid", "version", "position", "metadata"},
}


class Report:
    def __init__(self):
        self.failures = 0
        self.oks = 0
        self.skips = 0

    def ok(self, msg):
        self.oks += 1
        print(f"ok: {msg}")

    def fail(self, msg):
        self.failures += 1
        print(f"FAIL: {msg}")

    def skip(self, msg):
        self.skips += 1
        print(f"skipped: {msg}")

    def check(self, cond, msg, detail=""):
        if cond:
            self.ok(msg)
        else:
            self.fail(msg + (f" ({detail})" if detail else ""))
        return bool(cond)


R = Report()


def rel(path):
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def load_yaml(path):
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        R.fail(f"{rel(path)} parses as YAML ({e})")
        return None


def is_uuid(value):
    try:
        uuidlib.UUID(str(value))
        return True
    except ValueError:
        return False


def env_map(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def host_ports(service):
    ports = []
    for p in service.get("ports") or []:
        if isinstance(p, dict):
            if p.get("published") is not None:
                ports.append(int(str(p["published"]).split("-")[0]))
            continue
        parts = str(p).split(":")
        if len(parts) >= 2:
            ports.append(int(parts[-2].split("-")[0]))
    return ports


def pinned(image):
    """An image reference with an explicit tag other than latest (or a digest)."""
    if not image or "${" in image:
        return False
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.split(":", 1)[1]
    return bool(tag) and tag != "latest"


def parse_env_file(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value
    return values


def required_compose_vars(text):
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", text))


def bash_array(text, name):
    m = re.search(rf"^{name}=\(([^)]*)\)", text, re.M)
    return m.group(1).split() if m else None


# ---------------------------------------------------------------------------------------------
def check_files():
    needed = ["docker-compose.yaml", ".env.example", "druid/environment", "superset/Dockerfile",
              "superset/start.sh", "superset/superset_config.py", "superset/bundle/metadata.yaml",
              "iot-gateway.yaml", "up.sh", "down.sh", "README.md"]
    missing = [n for n in needed if not (DEPLOY / n).is_file()]
    R.check(not missing, "deploy/ has every file", "missing: " + ", ".join(missing))
    for script in ("up.sh", "down.sh", "superset/start.sh"):
        p = DEPLOY / script
        if p.is_file():
            R.check(os.access(p, os.X_OK), f"deploy/{script} is executable")


def check_compose():
    path = DEPLOY / "docker-compose.yaml"
    text = path.read_text(encoding="utf-8")
    compose = load_yaml(path)
    if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
        R.fail("docker-compose.yaml has a services map")
        return None
    services = compose["services"]
    R.check(set(services) == SERVICES, "compose services are " + ", ".join(sorted(SERVICES)),
            f"got {sorted(services)}")

    # Images pinned; a built image's base image pinned too.
    for name, svc in sorted(services.items()):
        image = svc.get("image", "")
        if "build" in svc:
            build = svc["build"]
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            df = DEPLOY / context / dockerfile
            froms = re.findall(r"^FROM\s+(\S+)", df.read_text(encoding="utf-8"), re.M) if df.is_file() else []
            R.check(froms and all(pinned(f) for f in froms),
                    f"{name}: built from {rel(df)} with pinned base image(s) {froms}")
            if image:
                R.check(pinned(image), f"{name}: local image name {image} has a tag")
        else:
            R.check(pinned(image), f"{name}: image {image!r} is pinned (explicit tag, not latest)")

    # Health checks on every service.
    for name, svc in sorted(services.items()):
        hc = svc.get("healthcheck") or {}
        test = hc.get("test")
        test_text = " ".join(test) if isinstance(test, list) else str(test or "")
        good = bool(test_text.strip()) and not hc.get("disable", False)
        probe = HEALTH_PROBES.get(name)
        if probe:
            good = good and probe in test_text
        R.check(good, f"{name}: health check" + (f" probes {probe}" if probe else ""),
                f"test: {test_text!r}")

    # Published host ports.
    published = {}
    dup = []
    for name, svc in services.items():
        for port in host_ports(svc):
            if port in published:
                dup.append(port)
            published[port] = name
    R.check(not dup, "no host port is published twice", f"duplicates: {dup}")
    for port, name in sorted(PUBLISHED.items()):
        R.check(published.get(port) == name, f"host port {port} is published by {name}",
                f"published by {published.get(port)}")

    # Kafka: KRaft single node with the two listeners of the reference.
    kafka = services.get("kafka", {})
    kenv = env_map(kafka)
    R.check(re.match(r"apache/kafka:4\.", kafka.get("image", "")), "kafka: image apache/kafka 4.x",
            kafka.get("image"))
    adv = set(filter(None, kenv.get("KAFKA_ADVERTISED_LISTENERS", "").split(",")))
    R.check(adv == {"PLAINTEXT://kafka:19092", "PLAINTEXT_HOST://localhost:9092"},
            "kafka: advertised listeners PLAINTEXT://kafka:19092 and PLAINTEXT_HOST://localhost:9092",
            f"got {sorted(adv)}")
    listeners = {l.split("://")[0]: l.rsplit(":", 1)[-1]
                 for l in kenv.get("KAFKA_LISTENERS", "").split(",") if "://" in l}
    R.check(listeners == {"PLAINTEXT": "19092", "CONTROLLER": "29093", "PLAINTEXT_HOST": "9092"},
            "kafka: listeners PLAINTEXT :19092, CONTROLLER :29093, PLAINTEXT_HOST :9092",
            f"got {listeners}")
    protomap = dict(p.split(":", 1) for p in
                    kenv.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(",") if ":" in p)
    R.check(set(listeners) <= set(protomap), "kafka: every listener has a security protocol",
            f"map {protomap}")
    R.check(kenv.get("KAFKA_PROCESS_ROLES") == "broker,controller"
            and kenv.get("KAFKA_CONTROLLER_QUORUM_VOTERS") == "1@kafka:29093"
            and kenv.get("KAFKA_CONTROLLER_LISTENER_NAMES") == "CONTROLLER"
            and kenv.get("KAFKA_INTER_BROKER_LISTENER_NAME") == "PLAINTEXT"
            and kenv.get("KAFKA_NODE_ID") == "1",
            "kafka: KRaft single node (broker,controller; voters 1@kafka:29093)")
    R.check(all(kenv.get(k) == "1" for k in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                                             "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR")),
            "kafka: internal topics with replication factor 1")

    reg = services.get("schema-registry", {})
    renv = env_map(reg)
    R.check(reg.get("image", "").startswith("confluentinc/cp-schema-registry:"),
            "schema-registry: image confluentinc/cp-schema-registry")
    R.check(re.search(r"(^|[/,])kafka:19092($|,)", renv.get("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "")),
            "schema-registry: bootstrap kafka:19092",
            renv.get("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"))
    R.check("8081" in renv.get("SCHEMA_REGISTRY_LISTENERS", ""), "schema-registry: listens on 8081")

    # Druid services.
    druid_images = set()
    for name, (command, port) in DRUID_SERVICES.items():
        svc = services.get(name, {})
        druid_images.add(svc.get("image"))
        cmd = svc.get("command")
        cmd = cmd if isinstance(cmd, list) else str(cmd or "").split()
        R.check(cmd == [command], f"{name}: runs the Druid {command} service", f"command {cmd}")
        env_files = svc.get("env_file") or []
        env_files = [env_files] if isinstance(env_files, str) else env_files
        env_files = [e if isinstance(e, str) else e.get("path") for e in env_files]
        R.check("druid/environment" in env_files, f"{name}: uses env_file druid/environment",
                f"env_file {env_files}")
        denv = env_map(svc)
        secrets = {
            "druid_metadata_storage_connector_password": "DRUID_METADATA_PASSWORD",
            "druid_auth_authenticator_basic_initialAdminPassword": "DRUID_ADMIN_PASSWORD",
            "druid_auth_authenticator_basic_initialInternalClientPassword": "DRUID_SYSTEM_PASSWORD",
            "druid_escalator_internalClientPassword": "DRUID_SYSTEM_PASSWORD",
        }
        bad = [k for k, var in secrets.items()
               if not re.fullmatch(r"\$\{" + var + r"(:\?[^}]*)?\}", denv.get(k, ""))]
        R.check(not bad, f"{name}: Druid passwords come from the environment", f"not so: {bad}")
        hc = svc.get("healthcheck", {}).get("test")
        hc_text = " ".join(hc) if isinstance(hc, list) else str(hc)
        R.check(f"localhost:{port}/status/health" in hc_text, f"{name}: health check on its port {port}",
                hc_text)
    R.check(len(druid_images) == 1 and re.match(r"apache/druid:\d+\.\d+\.\d+$", next(iter(druid_images)) or ""),
            f"Druid services share one pinned apache/druid image {sorted(map(str, druid_images))}")
    coord_env = env_map(services.get("coordinator", {}))
    R.check(coord_env.get("druid_coordinator_asOverlord_enabled") == "true",
            "coordinator: also runs the overlord")

    # Superset.
    sup = services.get("superset", {})
    senv = env_map(sup)
    R.check(re.fullmatch(r"\$\{SUPERSET_SECRET_KEY:\?[^}]*\}", senv.get("SUPERSET_SECRET_KEY", "")),
            "superset: SUPERSET_SECRET_KEY from the environment (required)")
    R.check(re.fullmatch(r"\$\{SUPERSET_ADMIN_PASSWORD(:\?[^}]*)?\}", senv.get("SUPERSET_ADMIN_PASSWORD", "")),
            "superset: admin password from the environment")

    # No literal secrets anywhere in the compose file.
    literal = []
    for name, svc in services.items():
        for k, v in env_map(svc).items():
            if re.search(r"PASSWORD|SECRET|_KEY$|TOKEN", k, re.I) and v and not re.fullmatch(r"\$\{[^}]+\}", v):
                literal.append(f"{name}.{k}")
    R.check(not literal, "compose: no literal passwords, secrets or keys", f"literal: {literal}")
    return compose, text


def check_druid_environment():
    path = DEPLOY / "druid" / "environment"
    env = parse_env_file(path)
    try:
        loadlist = set(json.loads(env.get("druid_extensions_loadList", "null")) or [])
    except json.JSONDecodeError as e:
        R.fail(f"druid/environment: druid_extensions_loadList is a JSON list ({e})")
        loadlist = set()
    R.check(DRUID_EXTENSIONS_REQUIRED <= loadlist,
            "druid/environment loads " + ", ".join(sorted(DRUID_EXTENSIONS_REQUIRED)),
            f"missing {sorted(DRUID_EXTENSIONS_REQUIRED - loadlist)}")
    R.check(DRUID_EXTENSIONS_DEFAULT <= loadlist, "druid/environment keeps the image's default extensions",
            f"missing {sorted(DRUID_EXTENSIONS_DEFAULT - loadlist)}")
    R.check(env.get("druid_router_managementProxy_enabled") == "true",
            "druid/environment: druid.router.managementProxy.enabled=true")
    R.check(env.get("druid_auth_authenticatorChain") == '["basic"]'
            and env.get("druid_auth_authenticator_basic_type") == "basic"
            and env.get("druid_auth_authorizers") == '["basic"]'
            and env.get("druid_auth_authorizer_basic_type") == "basic"
            and env.get("druid_auth_authenticator_basic_authorizerName") == "basic",
            "druid/environment: basic authenticator and authorizer named basic")
    R.check(env.get("druid_escalator_type") == "basic"
            and env.get("druid_escalator_internalClientUsername") == "druid_system"
            and env.get("druid_escalator_authorizerName") == "basic",
            "druid/environment: escalator as druid_system")
    R.check(env.get("druid_metadata_storage_type") == "postgresql"
            and "//postgres:5432/" in env.get("druid_metadata_storage_connector_connectURI", "")
            and env.get("druid_zk_service_host") == "zookeeper",
            "druid/environment: postgres metadata and zookeeper by service name")
    secrets = [k for k in env if re.search(r"password", k, re.I)]
    R.check(not secrets, "druid/environment holds no passwords", f"found {secrets}")


def check_env_example(compose_text):
    required = required_compose_vars(compose_text)
    example = parse_env_file(DEPLOY / ".env.example")
    R.check(required and required <= set(example),
            "every required compose variable is in .env.example: " + ", ".join(sorted(required)),
            f"missing {sorted(required - set(example))}")
    filled = [k for k, v in example.items() if v.strip()]
    R.check(not filled, ".env.example ships no values", f"filled: {filled}")
    return required


def check_superset_image():
    df = (DEPLOY / "superset" / "Dockerfile").read_text(encoding="utf-8")
    R.check(re.search(r"^FROM\s+apache/superset:\d+\.\d+\.\d+\s*$", df, re.M),
            "superset/Dockerfile: FROM a pinned apache/superset")
    R.check(re.search(r"pip install[^\n]*pydruid", df), "superset/Dockerfile: installs pydruid")
    start = (DEPLOY / "superset" / "start.sh").read_text(encoding="utf-8")
    R.check("fab create-admin" in start and "db upgrade" in start and "superset init" in start,
            "superset/start.sh: migrates, creates the admin user, initialises")
    R.check("SUPERSET_SECRET_KEY" in (DEPLOY / "superset" / "superset_config.py").read_text(encoding="utf-8"),
            "superset_config.py: SECRET_KEY from SUPERSET_SECRET_KEY")


# ---------------------------------------------------------------------------------------------
def chart_columns(params):
    """Column names a chart's params refer to (metrics by saved name separately)."""
    cols, saved = set(), set()

    def col(c):
        if isinstance(c, str):
            cols.add(c)
        elif isinstance(c, dict):
            if c.get("sqlExpression") is None and c.get("column_name"):
                cols.add(c["column_name"])

    def metric(m):
        if isinstance(m, str):
            saved.add(m)
        elif isinstance(m, dict) and m.get("expressionType") == "SIMPLE":
            c = m.get("column") or {}
            if c.get("column_name"):
                cols.add(c["column_name"])

    for key in ("groupby", "columns", "all_columns", "series_columns"):
        for c in params.get(key) or []:
            col(c)
    for key in ("x_axis", "granularity_sqla", "dimension", "series", "entity"):
        if params.get(key):
            col(params[key])
    for m in params.get("metrics") or []:
        metric(m)
    for key in ("metric", "secondary_metric", "size"):
        if params.get(key):
            metric(params[key])
    spatial = params.get("spatial") or {}
    for key in ("latCol", "lonCol", "lonlatCol", "geohashCol"):
        if spatial.get(key):
            cols.add(spatial[key])
    for f in params.get("adhoc_filters") or []:
        if f.get("expressionType") == "SIMPLE" and f.get("subject"):
            cols.add(f["subject"])
    for entry in params.get("order_by_cols") or []:
        try:
            cols.add(json.loads(entry)[0])
        except (ValueError, IndexError, TypeError):
            cols.add(f"<unparsable order_by_cols entry {entry!r}>")
    return cols, saved


def check_bundle(datasource_names):
    files = sorted(p for p in BUNDLE.rglob("*") if p.is_file())
    odd = [rel(p) for p in files if p.suffix not in (".yaml", ".yml")
           or p.name.startswith(("_", "."))]
    R.check(not odd, "bundle: only YAML files, none named _* or .* (Superset skips those)", f"{odd}")

    docs = {}
    for p in files:
        if p.suffix in (".yaml", ".yml"):
            d = load_yaml(p)
            if d is not None:
                docs[p.relative_to(BUNDLE).as_posix()] = d

    def keys_ok(kind, name, d):
        if not isinstance(d, dict):
            R.fail(f"{name}: is a map")
            return False
        missing = SUPERSET_REQUIRED.get(kind, set()) - set(d)
        unknown = set(d) - SUPERSET_KEYS[kind]
        good = R.check(not missing and not unknown, f"{name}: {kind} keys",
                       f"missing {sorted(missing)}, unknown to the importer {sorted(unknown)}")
        if "version" in d and kind != "metadata":
            good &= R.check(d["version"] == "1.0.0", f"{name}: version 1.0.0")
        if "uuid" in d:
            good &= R.check(is_uuid(d["uuid"]), f"{name}: uuid is a UUID")
        return good

    meta = docs.get("metadata.yaml")
    if keys_ok("metadata", "metadata.yaml", meta):
        R.check(meta["version"] == "1.0.0" and meta["type"] == "Dashboard",
                "metadata.yaml: version 1.0.0, type Dashboard")

    all_uuids = []
    databases, datasets, charts, dashboards = {}, {}, {}, {}
    for name, d in docs.items():
        top = name.split("/")[0]
        if top == "databases":
            if keys_ok("database", name, d):
                databases[str(d["uuid"])] = (name, d)
        elif top == "datasets":
            if keys_ok("dataset", name, d):
                datasets[str(d["uuid"])] = (name, d)
        elif top == "charts":
            if keys_ok("chart", name, d):
                charts[str(d["uuid"])] = (name, d)
        elif top == "dashboards":
            if keys_ok("dashboard", name, d):
                dashboards[str(d["uuid"])] = (name, d)
        elif name != "metadata.yaml":
            R.fail(f"{name}: in a folder Superset imports (databases, datasets, charts, dashboards)")
        if isinstance(d, dict) and "uuid" in d:
            all_uuids.append(str(d["uuid"]))
        if isinstance(d, dict):
            for sub in ("columns", "metrics"):
                for item in d.get(sub) or []:
                    if isinstance(item, dict) and "uuid" in item:
                        all_uuids.append(str(item["uuid"]))
    R.check(len(all_uuids) == len(set(all_uuids)), "bundle: every uuid is unique")
    R.check(databases and datasets and charts and dashboards,
            "bundle: has databases, datasets, charts and dashboards")

    # Database.
    for dbuuid, (name, d) in databases.items():
        u = urlsplit(d["sqlalchemy_uri"])
        R.check(u.scheme == "druid" and u.username == "druid_system" and u.password == "XXXXXXXXXX"
                and u.hostname == "router" and u.port == 8888 and u.path == "/druid/v2/sql",
                f"{name}: druid://druid_system:XXXXXXXXXX@router:8888/druid/v2/sql (masked password)",
                d["sqlalchemy_uri"])

    # Datasets.
    dataset_columns = {}
    for dsuuid, (name, d) in datasets.items():
        db = databases.get(str(d["database_uuid"]))
        if not R.check(db is not None, f"{name}: database_uuid refers to a database of the bundle"):
            continue
        R.check(name.split("/")[1] == db[1]["database_name"],
                f"{name}: in datasets/<database_name>/ ({db[1]['database_name']})")
        table = d["table_name"]
        R.check(table in datasource_names, f"{name}: table_name {table} is a datasource the gateway feeds",
                f"gateway datasources: {sorted(datasource_names)}")
        R.check(d.get("schema") == "druid", f"{name}: schema druid")
        cols = d.get("columns") or []
        bad_cols = [c for c in cols if not isinstance(c, dict)
                    or set(c) - SUPERSET_KEYS["column"] or "column_name" not in c]
        R.check(not bad_cols, f"{name}: column entries have importer keys only", f"{bad_cols}")
        bad_metrics = [m for m in d.get("metrics") or [] if not isinstance(m, dict)
                       or set(m) - SUPERSET_KEYS["metric"] or not {"metric_name", "expression"} <= set(m)]
        R.check(not bad_metrics, f"{name}: metric entries have importer keys only", f"{bad_metrics}")
        names = [c.get("column_name") for c in cols if isinstance(c, dict)]
        R.check(len(names) == len(set(names)), f"{name}: column names unique")
        expected = DRUID_COLUMNS.get(table)
        if expected is not None:
            R.check(set(names) == expected, f"{name}: columns are the gateway's {table} columns",
                    f"missing {sorted(expected - set(names))}, extra {sorted(set(names) - expected)}")
        dttm = [c.get("column_name") for c in cols if isinstance(c, dict) and c.get("is_dttm")]
        R.check(dttm == ["__time"], f"{name}: __time is the (only) time column", f"{dttm}")
        if d.get("main_dttm_col") is not None:
            R.check(d["main_dttm_col"] in names, f"{name}: main_dttm_col is a column")
        metric_names = {m.get("metric_name") for m in d.get("metrics") or [] if isinstance(m, dict)}
        R.check("count" in metric_names, f"{name}: has the count metric")
        dataset_columns[dsuuid] = (table, set(names), metric_names)

    # Charts.
    by_kind = {}
    for chuuid, (name, d) in charts.items():
        ds = dataset_columns.get(str(d["dataset_uuid"]))
        if not R.check(ds is not None, f"{name}: dataset_uuid refers to a dataset of the bundle"):
            continue
        table, cols, metric_names = ds
        params = d.get("params")
        if not R.check(isinstance(params, dict), f"{name}: params is a map"):
            continue
        R.check(params.get("viz_type", d["viz_type"]) == d["viz_type"], f"{name}: params.viz_type matches")
        used, saved = chart_columns(params)
        R.check(used and used <= cols, f"{name}: every column it uses exists in {table}",
                f"unknown {sorted(used - cols)}")
        R.check(saved <= metric_names, f"{name}: every saved metric it uses exists in {table}",
                f"unknown {sorted(saved - metric_names)}")
        by_kind.setdefault((d["viz_type"], table), []).append((name, params, used))

    def one(viz, table, what):
        found = by_kind.get((viz, table), [])
        R.check(len(found) >= 1, f"charts: {what} ({viz} on {table})")
        return found[0] if found else None

    line = one("echarts_timeseries_line", "SALES_AGGREGATE", "sales per store per minute")
    if line:
        _, p, _ = line
        sums = [m for m in p.get("metrics") or [] if isinstance(m, dict)
                and m.get("aggregate") == "SUM" and (m.get("column") or {}).get("column_name") == "aggregated_sales"]
        R.check(sums and p.get("groupby") == ["store_id"] and p.get("time_grain_sqla") == "PT1M"
                and p.get("x_axis") == "__time",
                "sales chart: SUM(aggregated_sales) by store_id over __time, grain PT1M")
    pie = one("pie", "SALES_AGGREGATE", "each store's share of sales")
    if pie:
        _, p, _ = pie
        m = p.get("metric") or {}
        R.check(isinstance(m, dict) and m.get("aggregate") == "SUM"
                and (m.get("column") or {}).get("column_name") == "aggregated_sales"
                and p.get("groupby") == ["store_id"], "pie: SUM(aggregated_sales) by store_id")
    scatter = one("deck_scatter", "EVENTS_GEO", "device map")
    if scatter:
        _, p, _ = scatter
        s = p.get("spatial") or {}
        R.check(s.get("type") == "latlong" and s.get("lonCol") == "longitude" and s.get("latCol") == "latitude",
                "device map: spatial latlong from longitude/latitude")
    table = one("table", "ALERTS", "alerts table")
    if table:
        _, p, used = table
        want = {"__time", "deviceId", "store_id", "deviceLocation", "total_count_per_deviceid",
                "avg_error_count", "std_error_count"}
        R.check(want <= set(p.get("all_columns") or []), "alerts table: shows " + ", ".join(sorted(want)))

    # Dashboards.
    for dbuuid, (name, d) in dashboards.items():
        pos = d.get("position")
        if not R.check(isinstance(pos, dict) and "ROOT_ID" in pos and "GRID_ID" in pos,
                       f"{name}: position has ROOT_ID and GRID_ID"):
            continue
        nodes = {k: v for k, v in pos.items() if isinstance(v, dict)}
        dangling = [(k, c) for k, v in nodes.items() for c in v.get("children") or [] if c not in nodes]
        dangling += [(k, p) for k, v in nodes.items() for p in v.get("parents") or [] if p not in nodes]
        R.check(not dangling, f"{name}: position children/parents all exist", f"{dangling}")
        bad_ids = [k for k, v in nodes.items() if v.get("id") != k]
        R.check(not bad_ids, f"{name}: position node ids match their keys", f"{bad_ids}")
        chart_nodes = [v for v in nodes.values() if v.get("type") == "CHART"]
        refs = [str((v.get("meta") or {}).get("uuid")) for v in chart_nodes]
        ids = [(v.get("meta") or {}).get("chartId") for v in chart_nodes]
        R.check(set(refs) == set(charts) and len(refs) == len(charts),
                f"{name}: lays out each chart of the bundle once, by uuid",
                f"unknown {sorted(set(refs) - set(charts))}, missing {sorted(set(charts) - set(refs))}")
        R.check(all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids),
                f"{name}: chartIds are distinct integers", f"{ids}")
        names_ok = all((v.get("meta") or {}).get("sliceName") == charts[str(v["meta"]["uuid"])][1]["slice_name"]
                       for v in chart_nodes if str((v.get("meta") or {}).get("uuid")) in charts)
        R.check(names_ok, f"{name}: sliceNames match the charts")
        widths = {}
        for k, v in nodes.items():
            if v.get("type") == "ROW":
                widths[k] = sum((nodes[c].get("meta") or {}).get("width", 0) for c in v.get("children") or []
                                if c in nodes)
        R.check(all(w <= 12 for w in widths.values()), f"{name}: rows are at most 12 columns wide", f"{widths}")
        md = d.get("metadata") or {}
        R.check(isinstance(md.get("refresh_frequency"), int) and md["refresh_frequency"] > 0,
                f"{name}: metadata.refresh_frequency set ({md.get('refresh_frequency')} s)")
    return databases


def check_bundle_zip(up_text, databases):
    """Zip the bundle as up.sh does and check what Superset will see."""
    m = re.search(r"python3 -m zipfile -c \S+ ([\w.-]+)", up_text)
    if not R.check(m and m.group(1) == "bundle", "up.sh zips deploy/superset/bundle with python3 -m zipfile"):
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "b.zip"
        r = subprocess.run([sys.executable, "-m", "zipfile", "-c", str(out), "bundle"],
                           cwd=DEPLOY / "superset", capture_output=True, text=True)
        if not R.check(r.returncode == 0, "bundle zips", r.stderr.strip()):
            return
        with zipfile.ZipFile(out) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
    tops = {n.split("/")[0] for n in names}
    R.check(tops == {"bundle"}, "bundle zip: one top folder", f"{tops}")
    inner = {n.split("/", 1)[1] for n in names if "/" in n}
    R.check("metadata.yaml" in inner, "bundle zip: metadata.yaml under the top folder")
    key = re.search(r"^DATABASE_FILE=(\S+)", up_text, re.M)
    db_files = {name for name, _ in databases.values()}
    R.check(key and key.group(1) in inner and key.group(1) in db_files,
            f"up.sh passes the Druid password keyed by the database file {key.group(1) if key else '?'}")


# ---------------------------------------------------------------------------------------------
def gateway_datasources(cfg):
    sinks = (cfg or {}).get("sinks") or {}
    topics = dict(STREAM_TOPICS)
    topics.update(((sinks.get("kafka") or {}).get("topics")) or {})
    ds = dict(topics)
    ds.update(((sinks.get("druid") or {}).get("datasources")) or {})
    return topics, ds


def check_gateway_config(compose):
    path = DEPLOY / "iot-gateway.yaml"
    cfg = load_yaml(path)
    if not isinstance(cfg, dict):
        return None
    sinks = cfg.get("sinks") or {}
    kafka = sinks.get("kafka") or {}
    druid = sinks.get("druid") or {}
    R.check(kafka.get("brokers") == "localhost:9092", "iot-gateway.yaml: sinks.kafka.brokers localhost:9092 "
            "(the compose PLAINTEXT_HOST listener)")
    R.check((kafka.get("formats") or {}).get("sales") == "avro", "iot-gateway.yaml: sales as Avro")
    R.check((kafka.get("schema_registry") or {}).get("url") == "http://localhost:8081",
            "iot-gateway.yaml: schema registry http://localhost:8081")
    R.check(set(druid) == DRUID_SINK_KEYS, "iot-gateway.yaml: sinks.druid has exactly the agreed keys",
            f"missing {sorted(DRUID_SINK_KEYS - set(druid))}, extra {sorted(set(druid) - DRUID_SINK_KEYS)}")
    R.check(druid.get("enabled") is True and druid.get("url") == "http://localhost:8888"
            and druid.get("username") == "druid_system" and druid.get("password") == "${DRUID_SYSTEM_PASSWORD}",
            "iot-gateway.yaml: Druid router localhost:8888 as druid_system, password from the environment")
    streams = druid.get("streams")
    R.check(isinstance(streams, list) and set(streams) <= set(STREAM_TOPICS)
            and set(streams) == {"sales_aggregate", "alerts"},
            "iot-gateway.yaml: sales_aggregate and alerts pushed as batch tasks", f"{streams}")
    R.check(druid.get("provision_supervisors") is False, "iot-gateway.yaml: provision_supervisors false "
            "(up.sh provisions)")
    R.check(druid.get("flush_interval") == "1m" and druid.get("max_batch_bytes") == "4MiB",
            "iot-gateway.yaml: flush_interval 1m, max_batch_bytes 4MiB")
    kenv = env_map(compose["services"]["kafka"]) if compose else {}
    R.check("PLAINTEXT://" + str(druid.get("kafka_bootstrap")) in kenv.get("KAFKA_ADVERTISED_LISTENERS", ""),
            f"iot-gateway.yaml: kafka_bootstrap {druid.get('kafka_bootstrap')} is Kafka's internal listener")
    u = urlsplit(str(druid.get("schema_registry_url")))
    R.check(compose and u.hostname in compose["services"] and u.port == 8081,
            f"iot-gateway.yaml: schema_registry_url {druid.get('schema_registry_url')} is the compose registry")
    R.check((cfg.get("simulator") or {}).get("clock", "realtime") == "realtime",
            "iot-gateway.yaml: realtime clock")
    R.check((cfg.get("http") or {}).get("listen") == "127.0.0.1:8080", "iot-gateway.yaml: http.listen 127.0.0.1:8080")
    R.check((cfg.get("gateway") or {}).get("data_dir"), "iot-gateway.yaml: gateway.data_dir set")
    return cfg


def gateway_env(tmp):
    env = dict(os.environ)
    env.setdefault("DRUID_SYSTEM_PASSWORD", "deploy-check-dummy")
    env["IOT_GATEWAY_DATA_DIR"] = str(Path(tmp) / "data")
    return env


def check_with_binary(binary, cfg, topics_by_stream, datasources_by_stream, up_topics, dataset_columns):
    dataset_tables = set(dataset_columns)
    cfg_path = DEPLOY / "iot-gateway.yaml"
    if not (binary and os.access(binary, os.X_OK)):
        R.fail(f"gateway binary {binary!r} is executable")
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = gateway_env(tmp)
        r = subprocess.run([binary, "check-config", "-c", str(cfg_path)], env=env,
                           capture_output=True, text=True, timeout=60)
        out = (r.stdout + r.stderr).strip()
        if r.returncode == 0:
            R.ok("iot-gateway check-config -c deploy/iot-gateway.yaml passes")
        elif r.returncode == 2 and re.search(r"unknown key '(sinks\.)?druid'", out):
            R.skip("sinks.druid not supported by this binary (check-config: unknown key 'sinks.druid')")
            # Everything else of the file must still be valid.
            rest = dict(cfg)
            rest["sinks"] = {k: v for k, v in (cfg.get("sinks") or {}).items() if k != "druid"}
            other = Path(tmp) / "iot-gateway-without-druid.yaml"
            other.write_text(yaml.safe_dump(rest, sort_keys=False), encoding="utf-8")
            r2 = subprocess.run([binary, "check-config", "-c", str(other)], env=env,
                                capture_output=True, text=True, timeout=60)
            R.check(r2.returncode == 0, "iot-gateway check-config passes on deploy/iot-gateway.yaml "
                    "without sinks.druid", (r2.stdout + r2.stderr).strip())
        else:
            R.fail(f"iot-gateway check-config -c deploy/iot-gateway.yaml passes (exit {r.returncode}):\n{out}")

        h = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True, timeout=30)
        if not re.search(r"^\s+druid\b", h.stdout + h.stderr, re.M):
            R.skip("druid provision --dry-run: this binary has no druid command yet")
            return
        r = subprocess.run([binary, "druid", "provision", "-c", str(cfg_path), "--dry-run"], env=env,
                           capture_output=True, text=True, timeout=60)
        if not R.check(r.returncode == 0, "iot-gateway druid provision --dry-run exits 0",
                       (r.stdout + r.stderr).strip()[:2000]):
            return
        specs = []
        dec, text, i = json.JSONDecoder(), r.stdout, 0
        try:
            while True:
                while i < len(text) and text[i].isspace():
                    i += 1
                if i >= len(text):
                    break
                obj, i = dec.raw_decode(text, i)
                specs.extend(obj if isinstance(obj, list) else [obj])
        except json.JSONDecodeError as e:
            R.fail(f"druid provision --dry-run prints JSON ({e}) at: {text[i:i + 200]!r}")
            return
        pushed = set((cfg.get("sinks") or {}).get("druid", {}).get("streams") or [])
        want_topics = {topics_by_stream[s] for s in STREAM_TOPICS if s not in pushed}
        got_topics, got_ds = set(), set()
        for spec in specs:
            body = spec.get("spec", spec)
            io = body.get("ioConfig") or {}
            ds = (body.get("dataSchema") or {}).get("dataSource")
            topic = io.get("topic")
            got_topics.add(topic)
            got_ds.add(ds)
            R.check(spec.get("type") == "kafka", f"supervisor {ds}: type kafka")
            R.check(topic in up_topics, f"supervisor {ds}: topic {topic} is created by up.sh")
            R.check(ds in set(datasources_by_stream.values()), f"supervisor {ds}: a gateway datasource")
            bs = (io.get("consumerProperties") or {}).get("bootstrap.servers")
            R.check(bs == "kafka:19092", f"supervisor {ds}: bootstrap.servers kafka:19092", f"{bs}")
            fmt = io.get("inputFormat") or body.get("inputFormat") or {}
            if fmt.get("type") == "avro_stream":
                url = (fmt.get("avroBytesDecoder") or {}).get("url")
                R.check(url == "http://schema-registry:8081",
                        f"supervisor {ds}: Avro schemas from http://schema-registry:8081", f"{url}")
        R.check(got_topics == want_topics, "supervisors for exactly the Kafka streams not pushed as batch "
                "tasks: " + ", ".join(sorted(want_topics)), f"got {sorted(map(str, got_topics))}")
        fed = got_ds | {datasources_by_stream[s] for s in pushed}
        R.check(dataset_tables <= fed, "every dashboard datasource is fed (supervisor or batch push)",
                f"not fed: {sorted(dataset_tables - fed)}")
        geo = [s for s in specs if (s.get("spec", s).get("dataSchema") or {}).get("dataSource")
               == datasources_by_stream["events_geo"]]
        if geo:
            t = json.dumps(geo[0])
            R.check('"latitude"' in t and '"longitude"' in t,
                    "EVENTS_GEO supervisor produces latitude and longitude (the device map's columns)")
        # The Superset datasets of supervisor-fed datasources use only columns the spec makes.
        for spec in specs:
            body = spec.get("spec", spec)
            schema = body.get("dataSchema") or {}
            ds = schema.get("dataSource")
            if ds not in dataset_columns:
                continue
            dims = {d if isinstance(d, str) else d.get("name")
                    for d in (schema.get("dimensionsSpec") or {}).get("dimensions") or []}
            missing = dataset_columns[ds] - dims - {"__time"}
            R.check(not missing, f"dataset {ds}: every column is a dimension of its supervisor spec",
                    f"not in the spec: {sorted(missing)}")


# ---------------------------------------------------------------------------------------------
def check_scripts(required_vars):
    up = (DEPLOY / "up.sh").read_text(encoding="utf-8")
    down = (DEPLOY / "down.sh").read_text(encoding="utf-8")
    r = subprocess.run(["bash", "-n", str(DEPLOY / "up.sh"), str(DEPLOY / "down.sh")],
                       capture_output=True, text=True)
    R.check(r.returncode == 0, "bash -n deploy/up.sh deploy/down.sh", r.stderr.strip())
    r = subprocess.run(["sh", "-n", str(DEPLOY / "superset" / "start.sh")], capture_output=True, text=True)
    R.check(r.returncode == 0, "sh -n deploy/superset/start.sh", r.stderr.strip())
    if shutil.which("shellcheck"):
        r = subprocess.run(["shellcheck", str(DEPLOY / "up.sh"), str(DEPLOY / "down.sh"),
                            str(DEPLOY / "superset" / "start.sh")], capture_output=True, text=True)
        R.check(r.returncode == 0, "shellcheck deploy/up.sh deploy/down.sh deploy/superset/start.sh",
                (r.stdout + r.stderr).strip())
    else:
        R.skip("shellcheck not installed")
    for name, text in (("up.sh", up), ("down.sh", down)):
        R.check(re.search(r"^set -euo pipefail$", text, re.M), f"{name}: set -euo pipefail")
        listed = set(bash_array(text, "REQUIRED_VARS") or [])
        R.check(listed == required_vars, f"{name}: REQUIRED_VARS are the compose file's required variables",
                f"{sorted(listed)} vs {sorted(required_vars)}")
    R.check(re.search(r"docker compose up -d --build", up), "up.sh: docker compose up -d --build")
    services = set(bash_array(up, "SERVICES") or [])
    R.check(services == SERVICES, "up.sh: waits for every compose service", f"{sorted(services)}")
    R.check("kafka-topics.sh" in up and "--if-not-exists" in up, "up.sh: creates topics --if-not-exists")
    R.check(re.search(r"druid provision -c \"\$script_dir/iot-gateway.yaml\"", up),
            "up.sh: runs iot-gateway druid provision -c deploy/iot-gateway.yaml")
    for needle in ("/api/v1/security/login", "/api/v1/security/csrf_token/", "/api/v1/dashboard/import/",
                   "X-CSRFToken", "formData=@", "overwrite=true", "passwords="):
        R.check(needle in up, f"up.sh: Superset import uses {needle}")
    R.check(re.search(r"--volumes|-v\b", down) and "down --volumes" in down and "down --remove-orphans" in down,
            "down.sh: removes volumes only with --volumes")
    install = (ROOT / "scripts" / "install-deps.sh").read_text(encoding="utf-8")
    R.check(re.search(r"\bpython3-yaml\b", install), "scripts/install-deps.sh installs python3-yaml")
    return up


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    print(f"deploy check of {DEPLOY}")
    check_files()
    compose_result = check_compose()
    compose, compose_text = compose_result if compose_result else (None, "")
    check_druid_environment()
    required_vars = check_env_example(compose_text)
    check_superset_image()
    cfg = check_gateway_config(compose)
    topics_by_stream, ds_by_stream = gateway_datasources(cfg)
    up = check_scripts(required_vars)
    up_topics = set(bash_array(up, "TOPICS") or [])
    R.check(up_topics == set(topics_by_stream.values()),
            "up.sh creates exactly the gateway's topics: " + ", ".join(sorted(up_topics)))
    databases = check_bundle(set(ds_by_stream.values()))
    check_bundle_zip(up, databases)
    dataset_columns = {}
    for p in (BUNDLE / "datasets").rglob("*.yaml"):
        d = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        dataset_columns[d.get("table_name")] = {c.get("column_name") for c in d.get("columns") or []
                                                if isinstance(c, dict)}
    if cfg is not None:
        check_with_binary(binary, cfg, topics_by_stream, ds_by_stream, up_topics, dataset_columns)
    print(f"deploy check: {R.oks} ok, {R.skips} skipped, {R.failures} failed")
    return 1 if R.failures else 0


if __name__ == "__main__":
    sys.exit(main())
