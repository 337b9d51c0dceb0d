"""Drops the UNIQUE (table_name) constraint that Superset's migrations leave on the `tables`
table of a SQLite metadata database (on other databases it is replaced by one per database,
schema and name). Without this, two databases cannot have a dataset of the same name, and the
seed's dashboard (database "Apache Druid") cannot be imported beside the gateway's ("Druid").
Idempotent. Usage: superset_sqlite_unique.py SUPERSET_DB"""
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1], isolation_level=None)
(sql,) = db.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='tables'").fetchone()
unique = "UNIQUE (table_name), "
if unique in sql.replace("\n", " ").replace("\t", ""):
    lines = [l for l in sql.split("\n") if l.strip() != "UNIQUE (table_name),"]
    new_sql = "\n".join(lines).replace('CREATE TABLE IF NOT EXISTS "tables"', 'CREATE TABLE "tables_new"', 1)
    new_sql = new_sql.replace('CREATE TABLE "tables"', 'CREATE TABLE "tables_new"', 1).replace("CREATE TABLE tables ", 'CREATE TABLE "tables_new" ', 1)
    assert "tables_new" in new_sql, sql
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("BEGIN")
    db.execute(new_sql)
    db.execute("INSERT INTO tables_new SELECT * FROM tables")
    db.execute("DROP TABLE tables")
    db.execute("ALTER TABLE tables_new RENAME TO tables")
    db.execute("COMMIT")
    print("superset_sqlite_unique: dropped UNIQUE (table_name) from tables")
