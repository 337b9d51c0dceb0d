#!/usr/bin/env python3
"""HTTP ingest throughput (issue 18, finding 9): POSTs `--events` sales in `--batch`-line NDJSON
batches over keep-alive connections from `--senders` parallel senders to a gateway started here
(simulator off, file sink, 1 GiB buffer), then prints events/s and the gateway's CPU seconds per
million events. Usage: bench/ingest_load.py BUILD/iot-gateway [--senders 4] [--events 600000]"""
import argparse, http.client, os, re, shutil, signal, subprocess, tempfile, threading, time


def sales(first, count, now_ms):
    return "".join(
        '{"store_id":"S%d","sale_amount":%d,"sale_ts":%d,"event_id":"load-%d"}\n'
        % (i % 7, 100 + i % 900, now_ms + i % 1000, i) for i in range(first, first + count)
    ).encode()


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gateway")
    ap.add_argument("--senders", type=int, default=1)
    ap.add_argument("--events", type=int, default=600_000)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--sync", default="normal")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ingest-load-")
    with open(f"{work}/gateway.yaml", "w") as f:
        f.write(f"gateway: {{id: load-gw, data_dir: {work}}}\nsimulator: {{enabled: false}}\n"
                f"buffer: {{max_bytes: 1GiB, sync: {a.sync}}}\n"
                "sinks:\n  file: {enabled: true, path: out}\n  kafka: {enabled: false}\n"
                "http: {listen: '127.0.0.1:0', max_body: 4MiB}\n")
    log = open(f"{work}/log", "w")
    gw = subprocess.Popen([a.gateway, "run", "-c", f"{work}/gateway.yaml"], stdout=log, stderr=log)
    port = None
    for _ in range(500):
        m = re.search(r"http: listening on 127\.0\.0\.1:(\d+)", open(f"{work}/log").read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.02)
    assert port, "the gateway did not start"
    now_ms = int(time.time() * 1000)
    batches = [sales(i, a.batch, now_ms) for i in range(0, a.events, a.batch)]
    statuses, lock = {}, threading.Lock()

    def send(mine):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body in mine:
            c.request("POST", "/api/v1/events", body, {"Content-Type": "application/x-ndjson"})
            r = c.getresponse()
            r.read()
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
        c.close()

    cpu0, t0 = cpu_seconds(gw.pid), time.monotonic()
    threads = [threading.Thread(target=send, args=(batches[i::a.senders],)) for i in range(a.senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds, cpu = time.monotonic() - t0, cpu_seconds(gw.pid) - cpu0
    gw.send_signal(signal.SIGTERM)
    gw.wait(timeout=60)
    print(f"senders {a.senders}: {a.events} events in {seconds:.2f} s = {a.events / seconds:,.0f} "
          f"events/s; gateway CPU {cpu:.2f} s = {cpu / a.events * 1e6:.2f} CPU-s per million "
          f"events; answers {statuses}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
