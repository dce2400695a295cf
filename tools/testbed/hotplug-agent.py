#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# hotplug-agent.py CONSOLE_LOG QMP_SOCKET
# The host's hand on the emulated server's PCIe slots. A selftest asks by
# logging "testbed-hotplug: del ID" or "testbed-hotplug: add ID BUS" (through
# /dev/kmsg, so the line reaches the serial console); the agent follows the
# console log and sends QEMU's monitor the matching device_del or device_add
# (an edu device). It stops when killed, or when QEMU closes the monitor.
import json
import os
import socket
import sys
import time

MARK = "testbed-hotplug: "


def connect(path):
    for _ in range(600):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.1)
    sys.exit("hotplug-agent: no QMP socket at " + path)


def command(sock, reader, cmd):
    sock.sendall((json.dumps(cmd) + "\n").encode())
    # Skip asynchronous events until the command's own answer.
    while True:
        line = reader.readline()
        if not line:
            sys.exit(0)
        msg = json.loads(line)
        if "return" in msg or "error" in msg:
            return msg


def main():
    log, path = sys.argv[1], sys.argv[2]
    sock = connect(path)
    reader = sock.makefile("r")
    reader.readline()  # the greeting
    command(sock, reader, {"execute": "qmp_capabilities"})
    done = set()
    pos = 0
    while True:
        try:
            with open(log, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            data = b""
        # Only whole lines; the rest is read again next time.
        end = data.rfind(b"\n") + 1
        pos += end
        for raw in data[:end].decode(errors="replace").splitlines():
            at = raw.find(MARK)
            if at < 0:
                continue
            words = raw[at + len(MARK):].split()
            # The kernel log may carry a request twice (console and dump):
            # each is acted on once, by its sequence word.
            if len(words) < 3 or tuple(words) in done:
                continue
            done.add(tuple(words))
            seq, op, dev = words[0], words[1], words[2]
            if op == "del":
                msg = command(sock, reader, {"execute": "device_del",
                                             "arguments": {"id": dev}})
            elif op == "add" and len(words) == 4:
                # QEMU finishes an unplug after the guest lets go of the
                # slot: until then the ID is taken. Retry for up to 20 s.
                for _ in range(100):
                    msg = command(sock, reader, {"execute": "device_add",
                                                 "arguments": {"driver": "edu", "id": dev,
                                                               "bus": words[3]}})
                    if "return" in msg or "Duplicate" not in msg["error"]["desc"]:
                        break
                    time.sleep(0.2)
            else:
                continue
            print("hotplug-agent: %s %s %s: %s" % (seq, op, dev,
                  "ok" if "return" in msg else msg["error"]["desc"]),
                  file=sys.stderr)
        time.sleep(0.2)


if __name__ == "__main__":
    main()
