#!/usr/bin/env python3
"""Local init time of a Lambda package: from starting its `bootstrap` to
the first `GET /2018-06-01/runtime/invocation/next` it sends to the Runtime
API (where Lambda's Init phase ends and the first invocation can start).

    scripts/measure-lambda-init.py target/lambda/echo/bootstrap-x86_64.zip echo [--runs 30]

The zip is unpacked once; each run starts the process with Lambda's
environment pointing at a minimal Runtime API on loopback, waits for its
first /next request, and kills it. Prints min, median and max in ms.
"""
import argparse
import http.server
import os
import statistics
import subprocess
import tempfile
import threading
import time
import zipfile

NEXT = "/2018-06-01/runtime/invocation/next"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("zip")
    parser.add_argument("function", help="the function (PHALANX_FUNCTION)")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    arrived = threading.Event()

    class RuntimeApi(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == NEXT:
                arrived.set()
            # No invocation: the process is killed while it waits.
            self.close_connection = True

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    with tempfile.TemporaryDirectory() as task_root:
        with zipfile.ZipFile(args.zip) as z:
            z.extractall(task_root)
        bootstrap = os.path.join(task_root, "bootstrap")
        os.chmod(bootstrap, 0o755)
        env = dict(
            os.environ,
            AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
            PHALANX_FUNCTION=args.function,
            _HANDLER=args.function,
            AWS_LAMBDA_FUNCTION_NAME=args.function,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
            AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
            AWS_LAMBDA_LOG_STREAM_NAME="local",
            AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/local",
            LAMBDA_TASK_ROOT=task_root,
        )
        times = []
        for _ in range(args.runs):
            arrived.clear()
            started = time.perf_counter()
            process = subprocess.Popen([bootstrap], cwd=task_root, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if not arrived.wait(10):
                process.kill()
                raise SystemExit("no /next request within 10 s")
            times.append((time.perf_counter() - started) * 1000)
            process.kill()
            process.wait()
    server.shutdown()
    print(f"{os.path.basename(args.zip)} ({args.function}): init {min(times):.1f} / "
          f"{statistics.median(times):.1f} / {max(times):.1f} ms (min / median / max of {len(times)})")


if __name__ == "__main__":
    main()
