// The counter page of hc-issued: staff log in with their API token (kept in
// sessionStorage), issue a code from a record or fetch one for an ID, and
// see the status, reasons, masked identity, expiry and the QR (printable).
// Server text is inserted with textContent only; the QR's SVG is parsed and
// rebuilt from rect and path elements with checked attributes.
"use strict";
(function () {
  var TOKEN_KEY = "hc-counter-token";
  var SVGNS = "http://www.w3.org/2000/svg";
  var MAX_SVG = 1 << 20;

  var STATUS = {
    green: ["绿码", "Green"],
    yellow: ["黄码", "Yellow"],
    red: ["红码", "Red"]
  };
  // Reason codes of the policy (doc/FORMATS.md section 5).
  var REASONS = {
    "nat-positive": ["最近一次核酸检测结果为阳性", "The latest nucleic-acid test is positive"],
    "flag-confirmed": ["确诊病例", "Confirmed case"],
    "flag-close-contact": ["密切接触者", "Close contact"],
    "high-risk-recent": ["近期到过高风险地区", "Recent stay in a high-risk area"],
    "flag-secondary-contact": ["次密切接触者", "Secondary contact"],
    "high-risk-earlier": ["较早前到过高风险地区", "Earlier stay in a high-risk area"],
    "medium-risk-recent": ["近期到过中风险地区", "Recent stay in a medium-risk area"],
    "no-recent-nat": ["无近期核酸阴性结果", "No recent negative nucleic-acid test"]
  };
  // Error codes of the API.
  var ERRORS = {
    "bad-request": ["请求有误", "Bad request"],
    "unauthorized": ["令牌无效或已撤销，请重新登录", "Token refused: log in again"],
    "forbidden": ["此令牌无权执行该操作", "This token may not do this"],
    "not-found": ["未找到此人", "Person not found"],
    "method-not-allowed": ["不支持的方法", "Method not allowed"],
    "too-large": ["内容过大", "Request too large"],
    "unsupported-media-type": ["内容类型不受支持", "Unsupported content type"],
    "unavailable": ["服务暂不可用", "Service unavailable"],
    "internal": ["服务器内部错误", "Internal server error"],
    "network": ["无法连接服务器", "Cannot reach the server"],
    "bad-answer": ["服务器应答无法识别", "The server's answer is not understood"]
  };

  function $(id) { return document.getElementById(id); }
  function show(el, on) { el.hidden = !on; }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function words(pair) { return pair[0] + " / " + pair[1]; }

  function getToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }
  function setToken(t) {
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives in this page only */ }
    memToken = t;
  }
  var memToken = getToken();

  function showLogin(message) {
    show($("work"), false);
    show($("logout"), false);
    show($("login"), true);
    var m = $("login-msg");
    m.textContent = message || "";
    show(m, !!message);
    $("token").value = "";
    $("token").focus();
  }
  function showWork() {
    show($("login"), false);
    show($("work"), true);
    show($("logout"), true);
  }

  function hideAnswers() {
    clear($("qr"));
    show($("result"), false);
    show($("error"), false);
  }
  function showError(code, detail) {
    var w = ERRORS[code];
    $("err-words").textContent = w ? words(w) : "错误 / Error";
    $("err-code").textContent = code;
    $("err-detail").textContent = detail || "";
    show($("err-detail"), !!detail);
    show($("error"), true);
    show($("result"), false);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // Local time as YYYY-MM-DD HH:MM:SS (UTC+hh:mm).
  function localTime(sec) {
    var d = new Date(sec * 1000);
    var off = -d.getTimezoneOffset();
    var sign = off < 0 ? "-" : "+";
    off = Math.abs(off);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      " (UTC" + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60) + ")";
  }

  // The QR as an <svg> element built here from the server's SVG, or null
  // when that is not an <svg> holding only rect and path elements with
  // plain numeric geometry and colour attributes.
  var NUM = /^[0-9]+(\.[0-9]+)?$/;
  var FILL = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/;
  var SVG_ATTRS = {
    xmlns: /^http:\/\/www\.w3\.org\/2000\/svg$/, version: /^1\.[01]$/, width: NUM, height: NUM,
    viewBox: /^[0-9]+ [0-9]+ [0-9]+ [0-9]+$/, "shape-rendering": /^crispEdges$/
  };
  var CHILD_ATTRS = {
    rect: { x: NUM, y: NUM, width: NUM, height: NUM, fill: FILL },
    path: { d: /^[MmHhVvLlZz0-9 .,\n-]*$/, fill: FILL }
  };
  function checkAttrs(el, allowed) {
    for (var i = 0; i < el.attributes.length; i++) {
      var a = el.attributes[i];
      var re = allowed[a.name];
      if (a.namespaceURI && a.name !== "xmlns") return false;
      if (!re || !re.test(a.value)) return false;
    }
    return true;
  }
  function safeSvg(text) {
    if (typeof text !== "string" || text.length > MAX_SVG) return null;
    var doc = new DOMParser().parseFromString(text, "image/svg+xml");
    if (doc.getElementsByTagName("parsererror").length) return null;
    var root = doc.documentElement;
    if (!root || root.namespaceURI !== SVGNS || root.localName !== "svg") return null;
    if (!checkAttrs(root, SVG_ATTRS) || !root.hasAttribute("viewBox")) return null;
    var out = document.createElementNS(SVGNS, "svg");
    out.setAttribute("viewBox", root.getAttribute("viewBox"));
    out.setAttribute("shape-rendering", "crispEdges");
    out.setAttribute("aria-hidden", "true");
    for (var n = root.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3 && /^\s*$/.test(n.nodeValue)) continue;
      if (n.nodeType !== 1 || n.namespaceURI !== SVGNS) return null;
      var allowed = CHILD_ATTRS[n.localName];
      if (!allowed || n.firstChild || !checkAttrs(n, allowed)) return null;
      var c = document.createElementNS(SVGNS, n.localName);
      for (var i = 0; i < n.attributes.length; i++)
        c.setAttribute(n.attributes[i].name, n.attributes[i].value);
      out.appendChild(c);
    }
    return out;
  }

  function isCode(o) {
    return o && typeof o === "object" && STATUS.hasOwnProperty(o.status) &&
      Array.isArray(o.why) && typeof o.exp === "number" && typeof o.iat === "number" &&
      o.person && typeof o.person.name === "string" && typeof o.person.id === "string";
  }

  function showCode(o) {
    var svg = safeSvg(o.svg);
    if (!svg) {
      showError("bad-answer", "QR SVG missing or refused / 二维码 SVG 缺失或不安全");
      return;
    }
    var st = $("status");
    st.className = "status " + o.status;
    $("status-zh").textContent = STATUS[o.status][0];
    $("status-en").textContent = STATUS[o.status][1];
    $("r-name").textContent = o.person.name;
    $("r-id").textContent = o.person.id;
    $("r-exp").textContent = localTime(o.exp);
    $("r-iat").textContent = localTime(o.iat);
    $("r-policy").textContent = typeof o.policy === "string" ? o.policy : "";
    $("r-jti").textContent = typeof o.jti === "string" ? o.jti : "";
    var ul = $("r-why");
    clear(ul);
    if (o.why.length === 0) {
      var none = document.createElement("li");
      none.textContent = "无 / None";
      ul.appendChild(none);
    }
    o.why.forEach(function (w) {
      var li = document.createElement("li");
      var r = REASONS[w];
      li.textContent = r ? words(r) : String(w);
      li.setAttribute("data-code", String(w));
      ul.appendChild(li);
    });
    var qr = $("qr");
    clear(qr);
    qr.appendChild(svg);
    show($("error"), false);
    show($("result"), true);
    st.scrollIntoView({ block: "start" });
  }

  var busy = false;
  function setBusy(on) {
    busy = on;
    ["record-btn", "id-btn", "sample-btn"].forEach(function (id) { $(id).disabled = on; });
    $("busy").textContent = on ? "处理中… / Working…" : "";
  }

  function post(path, body) {
    if (busy) return;
    var token = memToken;
    if (!token) { showLogin(""); return; }
    hideAnswers();
    setBusy(true);
    fetch(path, {
      method: "POST",
      headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
      body: body,
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer"
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var o = null;
        try { o = JSON.parse(text); } catch (e) { o = null; }
        if (resp.status === 401) {
          setToken("");
          var d = o && typeof o.detail === "string" ? o.detail : "";
          showLogin(words(ERRORS.unauthorized) + (d ? " (" + d + ")" : ""));
          showError("unauthorized", d);
          return;
        }
        if (!resp.ok) {
          if (o && typeof o.error === "string")
            showError(o.error, typeof o.detail === "string" ? o.detail : "");
          else
            showError("http-" + resp.status, text.slice(0, 200));
          return;
        }
        if (!isCode(o)) { showError("bad-answer", ""); return; }
        showCode(o);
      });
    }, function (e) {
      showError("network", String(e && e.message || e));
    }).then(function () { setBusy(false); }, function (e) {
      setBusy(false);
      showError("network", String(e && e.message || e));
    });
  }

  // A record that the default policy makes green: a negative test two
  // hours ago, no stays, no flags.
  function sample() {
    var t = new Date(Date.now() - 2 * 3600 * 1000 + 8 * 3600 * 1000);
    var at = t.getUTCFullYear() + "-" + pad(t.getUTCMonth() + 1) + "-" + pad(t.getUTCDate()) +
      "T" + pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes()) + ":00+08:00";
    var rec = {
      person: { name: "张三", id: "33010619900101123X" },
      nat: [{ at: at, result: "negative", lab: "杭州市西湖区疾控中心" }],
      vaccinations: [{ at: "2021-05-01", product: "BBIBP-CorV", dose: 1 }],
      travel: [],
      flags: []
    };
    return JSON.stringify(rec, null, 2);
  }

  function init() {
    $("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var t = $("token").value.trim();
      if (!/^[A-Za-z0-9._~+\/=-]{1,256}$/.test(t)) {
        showLogin("令牌格式不对 / That is not a token");
        return;
      }
      setToken(t);
      $("token").value = "";
      hideAnswers();
      showWork();
      $("record").focus();
    });
    $("logout").addEventListener("click", function () {
      setToken("");
      hideAnswers();
      $("record").value = "";
      $("idnum").value = "";
      showLogin("");
    });
    $("sample-btn").addEventListener("click", function () {
      $("record").value = sample();
    });
    $("record-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      post("/v1/records?svg=1", $("record").value);
    });
    $("id-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var id = $("idnum").value.trim().toUpperCase();
      post("/v1/codes?svg=1", JSON.stringify({ id: id }));
    });
    $("print-btn").addEventListener("click", function () { window.print(); });
    if (memToken) showWork(); else showLogin("");
  }

  if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", init);
  else
    init();
})();
