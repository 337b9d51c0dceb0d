"""Drops the UNIQUE (table_name) constraint that Superset's migrations leave on the `tables`
table of a SQLite metadata database (on other databases it is replaced by one per database,
schema and name). Without this, two databases cannot have a dataset of the same name, and the
seed's dashboard (database "Apache Druid") cannot be imported beside the gateway's ("Druid").
Idempotent. Usage: superset_sqlite_unique.py SUPERSET_DB"""
import re
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1], isolation_level=None)
(sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='tables'").fetchone()
# The constraint, with the comma that separates it from its neighbour (it may come last).
new_sql = re.sub(r",\s*UNIQUE \(table_name\)|UNIQUE \(table_name\)\s*,", "", sql)
if new_sql != sql:
    new_sql = re.sub(r'^CREATE TABLE (IF NOT EXISTS )?"?tables"?', 'CREATE TABLE "tables_new"', new_sql)
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("BEGIN")
    db.execute(new_sql)
    db.execute("INSERT INTO tables_new SELECT * FROM tables")
    db.execute("DROP TABLE tables")
    db.execute("ALTER TABLE tables_new RENAME TO tables")
    db.execute("COMMIT")
    print("superset_sqlite_unique: dropped UNIQUE (table_name) from tables")
