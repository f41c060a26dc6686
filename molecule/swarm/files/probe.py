"""A client inside the cluster, run as a one-off Swarm job on an overlay network.

  probe.py connect HOST PORT          one TCP connection: connected, refused, unresolved or timeout
  probe.py load URL SECONDS INTERVAL  GET URL every INTERVAL seconds for SECONDS seconds; a line
                                      "window ok=N failed=M" every 5 s, one line per failure and
                                      "total ok=N failed=M" at the end
"""
import socket
import sys
import time
import urllib.request


def connect(host, port):
    try:
        address = socket.getaddrinfo(host, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4]
    except socket.gaierror:
        return 'unresolved'
    sock = socket.socket()
    sock.settimeout(4)
    try:
        code = sock.connect_ex(address)
    except socket.timeout:
        return 'timeout'
    finally:
        sock.close()
    return {0: 'connected', 111: 'refused', 11: 'timeout', 110: 'timeout', 113: 'unreachable',
            101: 'unreachable'}.get(code, 'error %d' % code)


def load(url, seconds, interval):
    end = time.time() + float(seconds)
    ok = failed = window_ok = window_failed = 0
    window_end = time.time() + 5
    while time.time() < end:
        started = time.time()
        try:
            with urllib.request.urlopen(url, timeout=3) as answer:
                good = answer.status == 200
        except Exception as exc:  # every failure counts, whatever its kind
            good = False
            print('failed %.1f %s' % (started, exc), flush=True)
        ok, failed = ok + good, failed + (not good)
        window_ok, window_failed = window_ok + good, window_failed + (not good)
        if time.time() >= window_end:
            print('window ok=%d failed=%d' % (window_ok, window_failed), flush=True)
            window_ok = window_failed = 0
            window_end = time.time() + 5
        time.sleep(max(0.0, float(interval) - (time.time() - started)))
    print('total ok=%d failed=%d' % (ok, failed), flush=True)


if __name__ == '__main__':
    if sys.argv[1] == 'connect':
        print(connect(sys.argv[2], sys.argv[3]), flush=True)
    else:
        load(sys.argv[2], sys.argv[3], sys.argv[4])
