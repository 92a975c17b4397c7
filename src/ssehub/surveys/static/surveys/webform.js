/* SSE Hub survey web form: skip logic, calculations, live validation and repeat groups.
 *
 * The expressions are evaluated by a small interpreter of the same XPath subset as the
 * server's ssehub/surveys/expressions.py (tokenizer, precedence-climbing parser, AST walker;
 * never eval or Function). The server stays the authority: it checks everything again.
 * No dependencies. Exposed as window.SSEHubSurveys.evaluate for tests.
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------ tokenizer
  var QUOTES = {"'": "'", '"': '"', "\u2018": "\u2019", "\u201c": "\u201d"};
  var OPWORDS = {and: 1, or: 1, div: 1, mod: 1};
  var NAME = /[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?/y;
  var NUMBER = /\d+(?:\.\d*)?|\.\d+/y;
  var REF = /\$\{\s*([A-Za-z_][\w.\-]*)\s*\}/y;
  var MAX_CHARS = 10000, MAX_TOKENS = 2000, MAX_DEPTH = 32;

  function ExprError(message) { this.message = message; }

  function endsOperand(t) {
    return ["num", "str", "ref", "name", ")", ".", "..", "]"].indexOf(t.kind) >= 0;
  }

  function tokenize(text) {
    if (text.length > MAX_CHARS) throw new ExprError("too long");
    var tokens = [], i = 0, n = text.length, m;
    while (i < n) {
      var ch = text[i];
      if (/\s/.test(ch)) { i++; continue; }
      if (tokens.length >= MAX_TOKENS) throw new ExprError("too many parts");
      if (ch === "$") {
        REF.lastIndex = i; m = REF.exec(text);
        if (!m) throw new ExprError("bad reference");
        tokens.push({kind: "ref", value: m[1]}); i = REF.lastIndex;
      } else if (QUOTES[ch]) {
        var end = text.indexOf(QUOTES[ch], i + 1);
        if (end < 0) throw new ExprError("unclosed quote");
        tokens.push({kind: "str", value: text.slice(i + 1, end)}); i = end + 1;
      } else if (/\d/.test(ch) || (ch === "." && /\d/.test(text[i + 1] || ""))) {
        NUMBER.lastIndex = i; m = NUMBER.exec(text);
        tokens.push({kind: "num", value: m[0]}); i = NUMBER.lastIndex;
      } else if (text.substr(i, 2) === "..") {
        tokens.push({kind: "..", value: ".."}); i += 2;
      } else if (ch === ".") {
        tokens.push({kind: ".", value: "."}); i++;
      } else if (["!=", "<=", ">=", "//"].indexOf(text.substr(i, 2)) >= 0) {
        tokens.push({kind: "op", value: text.substr(i, 2)}); i += 2;
      } else if ("=<>+-*|(),[]/@".indexOf(ch) >= 0) {
        tokens.push({kind: "(),[]/".indexOf(ch) >= 0 ? ch : "op", value: ch}); i++;
      } else if (/[A-Za-z_]/.test(ch)) {
        NAME.lastIndex = i; m = NAME.exec(text);
        var word = m[0];
        if (OPWORDS[word] && tokens.length && endsOperand(tokens[tokens.length - 1])) {
          tokens.push({kind: "op", value: word});
        } else {
          tokens.push({kind: "name", value: word});
        }
        i = NAME.lastIndex;
      } else {
        throw new ExprError("unexpected character " + ch);
      }
    }
    tokens.push({kind: "end", value: ""});
    return tokens;
  }

  // ------------------------------------------------------------------ parser
  var LEVELS = [["or"], ["and"], ["=", "!="], ["<", "<=", ">", ">="], ["+", "-"],
                ["*", "div", "mod"]];

  function parse(text) {
    var tokens = tokenize(text), i = 0, depth = 0;
    function peek() { return tokens[i]; }
    function next() { return tokens[i++]; }
    function enter() { if (++depth > MAX_DEPTH) throw new ExprError("nested too deeply"); }
    function expect(kind) {
      if (peek().kind !== kind) throw new ExprError("expected " + kind);
      return next();
    }
    function binary(level) {
      if (level === LEVELS.length) return unary();
      var left = binary(level + 1);
      while (peek().kind === "op" && LEVELS[level].indexOf(peek().value) >= 0) {
        var op = next().value;
        left = {t: "bin", op: op, left: left, right: binary(level + 1)};
      }
      return left;
    }
    function unary() {
      if (peek().kind === "op" && peek().value === "-") {
        next(); enter();
        var operand = unary();
        depth--;
        return {t: "neg", operand: operand};
      }
      return primary();
    }
    function primary() {
      var tok = next();
      if (tok.kind === "num") return {t: "lit", value: parseFloat(tok.value)};
      if (tok.kind === "str") return {t: "lit", value: tok.value};
      if (tok.kind === "ref") return {t: "ref", name: tok.value};
      if (tok.kind === "(") {
        enter(); var node = binary(0); depth--; expect(")"); return node;
      }
      if (tok.kind === "name" && peek().kind === "(") {
        next(); enter();
        var args = [];
        if (peek().kind !== ")") {
          for (;;) {
            args.push(binary(0));
            if (peek().kind === ",") { next(); continue; }
            break;
          }
        }
        depth--; expect(")");
        return {t: "call", name: tok.value, args: args};
      }
      if (["name", ".", "..", "/"].indexOf(tok.kind) >= 0) {
        var steps = [], absolute = tok.kind === "/", cur = absolute ? null : tok;
        for (;;) {
          if (cur === null) {
            cur = next();
            if (["name", ".", ".."].indexOf(cur.kind) < 0) throw new ExprError("bad path");
          }
          steps.push(cur.value);
          if (peek().kind === "[") throw new ExprError("predicates are not supported");
          if (peek().kind !== "/") break;
          next(); cur = null;
        }
        return {t: "path", steps: steps, absolute: absolute};
      }
      throw new ExprError("expected a value");
    }
    if (peek().kind === "end") throw new ExprError("empty");
    var node = binary(0);
    if (peek().kind !== "end") throw new ExprError("unexpected " + peek().value);
    return node;
  }

  // ------------------------------------------------------------------ values
  function Node(text) { this.text = text; }
  function DateVal(iso) { this.iso = iso; }
  var EPOCH = Date.UTC(1970, 0, 1);
  var XNUM = /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/;
  var ISO = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?\s*$/;

  function toStr(v) {
    if (v instanceof Node) return v.text;
    if (v instanceof DateVal) return v.iso;
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
      if (isNaN(v)) return "NaN";
      if (!isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
      if (Number.isInteger(v)) return String(v);
      var s = String(v);
      return s.indexOf("e") >= 0 ? v.toFixed(20).replace(/0+$/, "") : s;
    }
    return v;
  }
  function toNum(v) {
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return v;
    var s = toStr(v);
    if (XNUM.test(s)) return parseFloat(s);
    var m = ISO.exec(s);
    if (m) {
      var t = Date.UTC(+m[1], +m[2] - 1, +m[3]);
      var d = new Date(t);
      if (d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) return NaN;
      return Math.round((t - EPOCH) / 86400000);
    }
    return NaN;
  }
  function toBool(v) {
    if (typeof v === "boolean") return v;
    if (v instanceof Node || v instanceof DateVal) return true;
    if (typeof v === "number") return !(v === 0 || isNaN(v));
    return v !== "";
  }
  function compare(op, a, b) {
    if (op === "=" || op === "!=") {
      var eq;
      if (typeof a === "boolean" || typeof b === "boolean") eq = toBool(a) === toBool(b);
      else if (typeof a === "number" || typeof b === "number" ||
               (a instanceof DateVal && b instanceof DateVal)) eq = toNum(a) === toNum(b);
      else eq = toStr(a) === toStr(b);
      return op === "=" ? eq : !eq;
    }
    var x = toNum(a), y = toNum(b);
    if (op === "<") return x < y;
    if (op === "<=") return x <= y;
    if (op === ">") return x > y;
    return x >= y;
  }
  function arith(op, a, b) {
    var x = toNum(a), y = toNum(b);
    if (op === "+") return x + y;
    if (op === "-") return x - y;
    if (op === "*") return x * y;
    if (op === "div") {
      if (y === 0) return (x === 0 || isNaN(x)) ? NaN : (x > 0 ? 1 : -1) * (1 / y > 0 ? 1 : -1) * Infinity;
      return x / y;
    }
    if (y === 0 || isNaN(x) || isNaN(y) || !isFinite(x)) return NaN;
    return x % y;
  }
  function xround(v, digits) {
    if (isNaN(v) || !isFinite(v)) return v;
    var scale = Math.pow(10, Math.trunc(digits || 0));
    return Math.floor(v * scale + 0.5) / scale;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  var MATH = {abs: Math.abs, sqrt: Math.sqrt, exp: Math.exp, log: Math.log, log10: Math.log10,
              sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos,
              atan: Math.atan, atan2: Math.atan2, pow: Math.pow,
              pi: function () { return Math.PI; }};

  function evaluate(node, ctx) {
    var E = function (n) { return evaluate(n, ctx); };
    var S = function (n) { return toStr(E(n)); };
    var N = function (n) { return toNum(E(n)); };
    switch (node.t) {
      case "lit": return node.value;
      case "ref": return new Node(ctx.get(node.name));
      case "neg": return -N(node.operand);
      case "path": {
        var steps = node.steps;
        if (!node.absolute && steps.length === 1 && steps[0] === ".") {
          return new Node(ctx.get(ctx.current));
        }
        if (!node.absolute && steps.length === 1 && ctx.choice) {
          var c = ctx.choice[steps[0]];
          return new Node(c === undefined ? "" : String(c));
        }
        return new Node(ctx.get(steps[steps.length - 1]));
      }
      case "bin": {
        var left = E(node.left), op = node.op;
        if (op === "or") return toBool(left) || toBool(E(node.right));
        if (op === "and") return toBool(left) && toBool(E(node.right));
        var right = E(node.right);
        if (["=", "!=", "<", "<=", ">", ">="].indexOf(op) >= 0) return compare(op, left, right);
        if (op === "|") throw new ExprError("unions are not supported");
        return arith(op, left, right);
      }
      case "call": {
        var a = node.args, name = node.name;
        switch (name) {
          case "selected": return S(a[0]).split(/\s+/).indexOf(S(a[1]).trim()) >= 0;
          case "count-selected": return S(a[0]).split(/\s+/).filter(Boolean).length;
          case "string-length": return (a.length ? S(a[0]) : ctx.get(ctx.current)).length;
          case "regex":
            try { return new RegExp(S(a[1])).test(S(a[0])); }
            catch (e) { throw new ExprError("bad regex"); }
          case "if": return toBool(E(a[0])) ? E(a[1]) : E(a[2]);
          case "coalesce": { var f = E(a[0]); return toStr(f) !== "" ? f : E(a[1]); }
          case "today": {
            var d = ctx.now();
            return new DateVal(d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" +
                               pad(d.getUTCDate()));
          }
          case "now": return new DateVal(ctx.now().toISOString());
          case "int": { var x = N(a[0]); return isFinite(x) ? Math.trunc(x) : x; }
          case "number": return N(a[0]);
          case "string": return S(a[0]);
          case "boolean": return toBool(E(a[0]));
          case "concat": return a.map(S).join("");
          case "not": return !toBool(E(a[0]));
          case "true": return true;
          case "false": return false;
          case "contains": return S(a[0]).indexOf(S(a[1])) >= 0;
          case "starts-with": return S(a[0]).startsWith(S(a[1]));
          case "ends-with": return S(a[0]).endsWith(S(a[1]));
          case "round": return xround(N(a[0]), a.length > 1 ? N(a[1]) : 0);
          case "floor": return Math.floor(N(a[0]));
          case "ceiling": return Math.ceil(N(a[0]));
          case "substr": {
            var t = S(a[0]), s0 = N(a[1]), e0 = a.length > 2 ? N(a[2]) : t.length;
            if (isNaN(s0) || isNaN(e0)) return "";
            return t.slice(Math.max(0, Math.trunc(s0)), Math.max(0, Math.trunc(Math.min(e0, t.length))));
          }
          case "normalize-space": return S(a[0]).split(/\s+/).filter(Boolean).join(" ");
          default:
            if (MATH[name]) {
              var r = MATH[name].apply(null, a.map(N));
              return typeof r === "number" ? r : NaN;
            }
            throw new ExprError("unsupported function " + name);
        }
      }
    }
    throw new ExprError("bad node");
  }

  var cache = {};
  function compiled(text) {
    if (!Object.prototype.hasOwnProperty.call(cache, text)) cache[text] = parse(text);
    return cache[text];
  }

  /** Evaluate ``text`` with ``values`` (name -> string); for tests and the form below. */
  function evaluateText(text, values, current, choice) {
    var ctx = {
      get: function (name) {
        var v = values[name];
        if (v === undefined || v === null) return "";
        return Array.isArray(v) ? v.join(" ") : String(v);
      },
      current: current, choice: choice || null,
      now: function () { return new Date(); }
    };
    var v = evaluate(compiled(text), ctx);
    return {value: v, string: toStr(v), bool: toBool(v), number: toNum(v)};
  }

  window.SSEHubSurveys = {evaluate: evaluateText, parse: parse};

  // ------------------------------------------------------------------ the form
  function init(form) {
    var questions = function () {
      return Array.prototype.slice.call(form.querySelectorAll("[data-key]"));
    };

    function isHidden(el) {
      return !!el.closest("[data-sv-off]");
    }

    function rawValue(q) {
      if (q.classList.contains("sv-calc")) return q.value;
      var inputs = q.querySelectorAll("input, select, textarea");
      var out = [];
      for (var i = 0; i < inputs.length; i++) {
        var inp = inputs[i];
        if ((inp.type === "radio" || inp.type === "checkbox")) {
          if (inp.checked) out.push(inp.value);
        } else if (inp.type !== "file") {
          out.push(inp.value);
        } else if (inp.files && inp.files.length) {
          out.push(inp.files[0].name);
        } else {
          var current = q.querySelector(".sv-current");
          if (current) out.push("file");
        }
      }
      return out.join(" ").trim();
    }

    function lookup(name, from) {
      var scope = from.closest(".sv-instance");
      var sel = '[data-key][data-name="' + name.replace(/"/g, "") + '"]';
      while (scope) {
        var found = scope.querySelector(sel);
        if (found) return found;
        scope = scope.parentElement && scope.parentElement.closest(".sv-instance");
      }
      return form.querySelector(sel);
    }

    function context(from) {
      return {
        get: function (name) {
          var q = lookup(name, from);
          if (!q || isHidden(q)) return "";
          return rawValue(q);
        },
        current: from.getAttribute("data-name"),
        choice: null,
        now: function () { return new Date(); }
      };
    }

    function test(expr, el, fallback) {
      try { return toBool(evaluate(compiled(expr), context(el))); }
      catch (e) { return fallback; }
    }

    function setOff(el, off) {
      if (off) el.setAttribute("data-sv-off", ""); else el.removeAttribute("data-sv-off");
      el.hidden = off;
      var inputs = el.querySelectorAll("input, select, textarea");
      for (var i = 0; i < inputs.length; i++) {
        if (inputs[i].classList.contains("sv-count")) continue;
        inputs[i].disabled = off || isHidden(inputs[i].parentElement);
      }
    }

    function refresh() {
      for (var pass = 0; pass < 2; pass++) {
        var relevants = form.querySelectorAll("[data-relevant]");
        for (var i = 0; i < relevants.length; i++) {
          var el = relevants[i];
          var parentOff = el.parentElement && isHidden(el.parentElement);
          setOff(el, parentOff || !test(el.getAttribute("data-relevant"), el, true));
        }
        var calcs = form.querySelectorAll("[data-calc]");
        for (var j = 0; j < calcs.length; j++) {
          try {
            var v = toStr(evaluate(compiled(calcs[j].getAttribute("data-calc")),
                                   context(calcs[j])));
            calcs[j].value = v === "NaN" ? "" : v;
          } catch (e) { calcs[j].value = ""; }
        }
        var repeats = form.querySelectorAll(".sv-repeat[data-count-expr]");
        for (var k = 0; k < repeats.length; k++) {
          var expr = repeats[k].getAttribute("data-count-expr");
          if (!expr) continue;
          var n = /^\d+$/.test(expr) ? +expr : (function () {
            try { return toNum(evaluate(compiled(expr), context(repeats[k]))); }
            catch (e) { return 0; }
          })();
          setCount(repeats[k], isNaN(n) ? 0 : Math.max(0, Math.min(200, Math.trunc(n))));
        }
      }
      filterChoices();
      showPage();
    }

    function filterChoices() {
      var filtered = form.querySelectorAll("[data-filter]");
      for (var i = 0; i < filtered.length; i++) {
        var q = filtered[i], expr = q.getAttribute("data-filter");
        var opts = q.querySelectorAll(".sv-option, option");
        for (var j = 0; j < opts.length; j++) {
          var o = opts[j];
          var input = o.querySelector ? (o.querySelector("input") || o) : o;
          if (!input.value) continue;
          var cols = JSON.parse(o.getAttribute("data-cols") || "{}");
          cols.name = input.value;
          var ctx = context(q);
          ctx.choice = cols;
          var keep = true;
          try { keep = toBool(evaluate(compiled(expr), ctx)); } catch (e) { keep = true; }
          o.hidden = !keep;
          if (!keep && (input.checked || input.selected)) {
            input.checked = false; input.selected = false;
          }
        }
      }
    }

    // -------------------------------------------------- validation
    var TYPES = {
      integer: [/^[+-]?\d+$/, "sv-msg-integer"],
      decimal: [/^[+-]?(\d+(\.\d*)?|\.\d+)$/, "sv-msg-number"],
      date: [/^\d{4}-\d{2}-\d{2}$/, "sv-msg-date"]
    };
    function message(id) {
      var el = document.getElementById(id);
      return el ? el.textContent : "";
    }
    function validate(q, final) {
      var err = q.querySelector(".sv-error");
      if (!err) return true;
      var msg = "";
      if (!isHidden(q)) {
        var value = rawValue(q), type = q.getAttribute("data-type");
        var required = q.getAttribute("data-required");
        if (value === "") {
          if (final && required && test(required, q, true)) {
            msg = q.getAttribute("data-required-msg");
          }
        } else if (TYPES[type] && !TYPES[type][0].test(value)) {
          msg = message(TYPES[type][1]);
        } else if (q.getAttribute("data-constraint") &&
                   !test(q.getAttribute("data-constraint"), q, false)) {
          msg = q.getAttribute("data-constraint-msg");
        }
      }
      err.textContent = msg;
      var inputs = q.querySelectorAll("input, select, textarea");
      for (var i = 0; i < inputs.length; i++) {
        if (msg) inputs[i].setAttribute("aria-invalid", "true");
        else inputs[i].removeAttribute("aria-invalid");
      }
      return !msg;
    }

    // -------------------------------------------------- repeats
    function renumber(rep) {
      var key = rep.getAttribute("data-key");
      var list = rep.querySelector(".sv-instances").children;
      for (var i = 0; i < list.length; i++) {
        var inst = list[i], old = inst.getAttribute("data-index");
        if (old === String(i)) continue;
        var from = key + ":" + old + ":", to = key + ":" + i + ":";
        var fromId = from.replace(/:/g, "--"), toId = to.replace(/:/g, "--");
        var all = [inst].concat(Array.prototype.slice.call(inst.querySelectorAll("*")));
        all.forEach(function (el) {
          ["name", "id", "for", "data-key", "aria-describedby"].forEach(function (attr) {
            var v = el.getAttribute(attr);
            if (v) el.setAttribute(attr, v.split(from).join(to).split(fromId).join(toId));
          });
        });
        inst.setAttribute("data-index", String(i));
        var n = inst.querySelector(".sv-n");
        if (n) n.textContent = String(i + 1);
      }
      rep.querySelector(".sv-count").value = String(list.length);
    }
    function addInstance(rep) {
      var tpl = rep.querySelector(".sv-template");
      var holder = document.createElement("div");
      holder.appendChild(tpl.content.cloneNode(true));
      var inst = holder.firstElementChild;
      inst.setAttribute("data-index", "__i__");
      rep.querySelector(".sv-instances").appendChild(inst);
      renumber(rep);
      return inst;
    }
    function setCount(rep, n) {
      var box = rep.querySelector(".sv-instances");
      while (box.children.length < n) addInstance(rep);
      while (box.children.length > n) box.removeChild(box.lastElementChild);
      renumber(rep);
    }
    form.addEventListener("click", function (ev) {
      var t = ev.target;
      if (t.classList.contains("sv-add")) {
        var rep = t.closest(".sv-repeat");
        var inst = addInstance(rep);
        refresh();
        var first = inst.querySelector("input, select, textarea");
        if (first) first.focus();
      } else if (t.classList.contains("sv-remove")) {
        var r = t.closest(".sv-repeat");
        t.closest(".sv-instance").remove();
        renumber(r);
        refresh();
      } else if (t.classList.contains("sv-next") || t.classList.contains("sv-prev")) {
        movePage(t.classList.contains("sv-next") ? 1 : -1);
      }
    });

    // -------------------------------------------------- pages
    var pageIndex = 0;
    function pages() {
      return Array.prototype.slice.call(form.querySelectorAll(".sv-page"))
        .filter(function (p) { return !p.hasAttribute("data-sv-off"); });
    }
    function showPage() {
      var list = pages();
      if (!list.length || !form.hasAttribute("data-pages")) return;
      pageIndex = Math.max(0, Math.min(pageIndex, list.length - 1));
      form.querySelectorAll(".sv-page").forEach(function (p) {
        p.classList.toggle("sv-page-hidden", p !== list[pageIndex]);
      });
      var nav = form.querySelector(".sv-pager");
      if (nav) {
        nav.hidden = false;
        nav.querySelector(".sv-prev").disabled = pageIndex === 0;
        nav.querySelector(".sv-next").disabled = pageIndex === list.length - 1;
        nav.querySelector(".sv-page-n").textContent = (pageIndex + 1) + " / " + list.length;
      }
    }
    function movePage(step) {
      pageIndex += step;
      showPage();
      var list = pages();
      if (list[pageIndex]) {
        var legend = list[pageIndex].querySelector("legend");
        if (legend) { legend.setAttribute("tabindex", "-1"); legend.focus(); }
      }
    }

    form.addEventListener("input", function (ev) {
      refresh();
      var q = ev.target.closest("[data-key]");
      if (q) validate(q, false);
    });
    form.addEventListener("change", function (ev) {
      refresh();
      var q = ev.target.closest("[data-key]");
      if (q) validate(q, false);
    });
    form.addEventListener("focusout", function (ev) {
      var q = ev.target.closest("[data-key]");
      if (q && !q.contains(ev.relatedTarget)) validate(q, true);
    });
    form.addEventListener("submit", function (ev) {
      var submitter = ev.submitter;
      if (submitter && submitter.value !== "submit") return; // partial save: no checks
      refresh();
      var firstBad = null;
      questions().forEach(function (q) {
        if (!validate(q, true) && !firstBad) firstBad = q;
      });
      if (firstBad) {
        ev.preventDefault();
        var page = firstBad.closest(".sv-page");
        if (page) { pageIndex = pages().indexOf(page); showPage(); }
        var inp = firstBad.querySelector("input, select, textarea");
        if (inp) inp.focus();
        var summary = form.querySelector(".sv-summary");
        if (summary) summary.textContent = message("sv-msg-fix");
      }
    });
    refresh();
  }

  function start() {
    var forms = document.querySelectorAll("form[data-survey]");
    for (var i = 0; i < forms.length; i++) init(forms[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
