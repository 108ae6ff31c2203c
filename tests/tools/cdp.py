#!/usr/bin/env python3
"""cdp.py: drives a headless Chromium over the Chrome DevTools Protocol
(its --remote-debugging-port) with the standard library only: a minimal
WebSocket client (RFC 6455, client side) and commands against the browser's
first page, one per run or many over one connection (repl). tests/page.sh uses it like staff use the page: it
types into fields and clicks buttons with Input events.

    cdp.py PORT open URL              navigate, wait for the load event
    cdp.py PORT eval JS               print the expression's value as JSON
    cdp.py PORT wait JS [SECONDS]     poll until JS is truthy (exit 1 on timeout)
    cdp.py PORT click SELECTOR        mouse click at the element's centre
    cdp.py PORT type SELECTOR TEXT    click the element, then insert TEXT
    cdp.py PORT shot FILE [SELECTOR [SCALE]]  PNG of the whole page or of an element
    cdp.py PORT viewport WIDTH HEIGHT a phone's screen (CSS pixels; lasts as long
                                      as the connection: for repl)
    cdp.py PORT media print|screen JS print JS's value under that CSS media type
    cdp.py PORT answer PATTERN STATUS FILE SELECTOR
                                      click SELECTOR and answer the request it
                                      makes to a URL matching PATTERN with
                                      STATUS and FILE's bytes (a hostile server)

    cdp.py PORT repl                  the commands above from stdin, one a line
                                      (words separated by the byte 0x1f), one
                                      answer line each: EXIT, a tab, the output
                                      or the error; one connection for all

PORT may also be the path of Chromium's DevToolsActivePort file. Exit 0 on
success, 1 when the page did not do what was asked (element missing, wait
timed out, JS threw), 2 on usage or protocol errors.
"""
import base64
import json
import os
import socket
import struct
import sys
import time


class CDPError(Exception):
    pass


class WebSocket:
    """Just enough of a WebSocket client for CDP: text frames, masked."""

    def __init__(self, host, port, path, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CDPError("websocket handshake: connection closed")
            head += chunk
            if len(head) > 65536:
                raise CDPError("websocket handshake: header too long")
        head, self.buf = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise CDPError("websocket handshake refused: %s" % status.decode("latin-1"))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise CDPError("websocket closed by the browser")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text, opcode=1):
        data = text.encode() if isinstance(text, str) else text
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
        self.sock.sendall(hdr + mask + masked)

    def recv(self):
        """One whole text message (continuations joined; pings answered)."""
        msg = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            if n > 256 << 20:
                raise CDPError("websocket frame of %d bytes" % n)
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
            if opcode == 8:
                raise CDPError("websocket closed by the browser")
            if opcode == 9:
                self.send(data, opcode=10)
                continue
            if opcode in (0, 1, 2):
                msg += data
                if b0 & 0x80:
                    return msg.decode()

    def close(self):
        try:
            self.send(b"", opcode=8)
        except OSError:
            pass
        self.sock.close()


def http_get(port, path):
    """The body of a GET to the browser's HTTP endpoint (Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, port)).encode())
        data = b""
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                n = None
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        n = int(v)
                if n is None or n > 16 << 20:
                    raise CDPError("%s: no usable Content-Length" % path)
                if len(body) >= n:
                    break
            chunk = sock.recv(65536)
            if not chunk:
                raise CDPError("%s: connection closed early" % path)
            data += chunk
            if len(data) > 16 << 20:
                raise CDPError("%s: answer too long" % path)
    if head.split(b" ", 2)[1:2] != [b"200"]:
        raise CDPError("%s: %s" % (path, head.split(b"\r\n", 1)[0].decode("latin-1")))
    return body[:n].decode()


class Page:
    def __init__(self, port):
        targets = json.loads(http_get(port, "/json/list"))
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            raise CDPError("no page target")
        url = pages[0]["webSocketDebuggerUrl"]
        path = "/" + url.split("/", 3)[3]
        self.ws = WebSocket("127.0.0.1", port, path)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == mid:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, name, timeout):
        end = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[i]
                    return e
            if time.time() > end:
                return None
            self.ws.sock.settimeout(max(0.05, end - time.time()))
            try:
                m = json.loads(self.ws.recv())
            except socket.timeout:
                return None
            finally:
                self.ws.sock.settimeout(30)
            if "method" in m:
                self.events.append(m)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True,
                      awaitPromise=True, userGesture=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise PageError("javascript: %s" % text)
        return r.get("result", {}).get("value")

    def rect(self, selector):
        js = ("(function(){var e=document.querySelector(%s);if(!e)return null;"
              "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
              "return [r.left,r.top,r.width,r.height,window.scrollX,window.scrollY];})()"
              % json.dumps(selector))
        r = self.eval(js)
        if not r or r[2] <= 0 or r[3] <= 0:
            raise PageError("no visible element %s" % selector)
        return r

    def click(self, selector):
        x, y, w, h = self.rect(selector)[:4]
        cx, cy = x + w / 2, y + h / 2
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=cx, y=cy)
        for t in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=t, x=cx, y=cy,
                      button="left", buttons=1 if t == "mousePressed" else 0, clickCount=1)


class PageError(Exception):
    pass


def run(p, cmd, args):
    """One command on page p; returns its output line (or None)."""
    if cmd == "open" and len(args) == 1:
        p.call("Page.enable")
        p.events = []
        p.call("Page.navigate", url=args[0])
        if not p.wait_event("Page.loadEventFired", 20):
            raise PageError("no load event for %s" % args[0])
    elif cmd == "eval" and len(args) == 1:
        return json.dumps(p.eval(args[0]), ensure_ascii=False)
    elif cmd == "wait" and len(args) in (1, 2):
        end = time.time() + (float(args[1]) if len(args) == 2 else 15)
        while not p.eval(args[0]):
            if time.time() > end:
                raise PageError("timed out waiting for %s" % args[0])
            time.sleep(0.05)
    elif cmd == "click" and len(args) == 1:
        p.click(args[0])
    elif cmd == "type" and len(args) == 2:
        p.click(args[0])
        if not p.eval("document.activeElement === document.querySelector(%s)"
                      % json.dumps(args[0])):
            raise PageError("%s did not take the focus" % args[0])
        p.call("Input.insertText", text=args[1])
    elif cmd == "shot" and 1 <= len(args) <= 3:
        kw = {"format": "png", "captureBeyondViewport": True}
        if len(args) == 1:
            w, h = p.eval("[document.documentElement.scrollWidth,"
                          "document.documentElement.scrollHeight]")
            kw["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        else:
            x, y, w, h, sx, sy = p.rect(args[1])
            kw["clip"] = {"x": x + sx, "y": y + sy, "width": w, "height": h,
                          "scale": float(args[2]) if len(args) == 3 else 1}
        r = p.call("Page.captureScreenshot", **kw)
        with open(args[0], "wb") as f:
            f.write(base64.b64decode(r["data"]))
    elif cmd == "viewport" and len(args) == 2:
        p.call("Emulation.setDeviceMetricsOverride", width=int(args[0]),
               height=int(args[1]), deviceScaleFactor=1, mobile=True)
    elif cmd == "media" and len(args) == 2 and args[0] in ("print", "screen"):
        p.call("Emulation.setEmulatedMedia", media=args[0])
        try:
            return json.dumps(p.eval(args[1]), ensure_ascii=False)
        finally:
            p.call("Emulation.setEmulatedMedia", media="")
    elif cmd == "answer" and len(args) == 4:
        with open(args[2], "rb") as f:
            body = f.read()
        p.call("Fetch.enable", patterns=[{"urlPattern": args[0]}])
        try:
            p.click(args[3])
            e = p.wait_event("Fetch.requestPaused", 10)
            if not e:
                raise PageError("no request to %s" % args[0])
            p.call("Fetch.fulfillRequest", requestId=e["params"]["requestId"],
                   responseCode=int(args[1]),
                   responseHeaders=[{"name": "Content-Type", "value": "application/json"}],
                   body=base64.b64encode(body).decode())
        finally:
            p.call("Fetch.disable")
        return json.dumps(e["params"]["request"]["url"])
    else:
        raise UsageError("bad command: %s" % " ".join([cmd] + args))
    return None


def repl(p):
    """Commands from stdin, one a line, words separated by 0x1f; one answer
    line each: the exit status, a tab, the output or the error."""
    for line in sys.stdin:
        words = line.rstrip("\n").split("\x1f")
        try:
            out, rc = run(p, words[0], words[1:]), 0
        except PageError as e:
            out, rc = "cdp.py: %s" % e, 1
        except (UsageError, ValueError, OSError) as e:
            out, rc = "cdp.py: %s" % e, 2
        sys.stdout.write("%d\t%s\n" % (rc, (out or "").replace("\n", " ")))
        sys.stdout.flush()
    return 0


class UsageError(Exception):
    pass


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    port_arg, cmd, args = argv[1], argv[2], argv[3:]
    if os.path.exists(port_arg):
        with open(port_arg) as f:
            port = int(f.readline())
    else:
        port = int(port_arg)
    p = Page(port)
    try:
        if cmd == "repl" and not args:
            return repl(p)
        out = run(p, cmd, args)
        if out is not None:
            print(out)
    except PageError as e:
        print("cdp.py: %s" % e, file=sys.stderr)
        return 1
    except UsageError as e:
        print("cdp.py: %s" % e, file=sys.stderr)
        return 2
    finally:
        p.ws.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (CDPError, OSError, ValueError) as e:
        print("cdp.py: %s" % e, file=sys.stderr)
        sys.exit(2)
