// dumpscope report: search, filters, sorting, paging, goroutine lookup and
// icicle clicks over the groups table. Data comes from the JSON block; the
// page is built with textContent only, never from markup strings.
(function () {
  'use strict';
  var el = document.getElementById('ds-data');
  if (!el) { return; }
  var D = JSON.parse(el.textContent);
  var S = D.strs, F = D.frames, K = D.stacks, G = D.groups, SEV = D.sev;
  var PAGE = D.rows || 100;
  // Group fields.
  var ID = 0, SNAP = 1, COUNT = 2, STATE = 3, STACK = 4, TOP = 5, CR = 6, CRF = 7, CRL = 8,
    WMIN = 9, WMAX = 10, GSEV = 11, PKG = 12, LEAF = 13, LABELS = 14, IDS = 15;

  var st = { q: '', state: '', pkg: '', sev: 0, node: null, under: null, only: -1,
    sort: 'count', dir: -1, page: 0 };
  var tbody = document.querySelector('#groups tbody');
  var countEl = document.getElementById('groups-count');
  var pager = document.getElementById('groups-pager');

  function make(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  // Search text per stack, built once.
  var stackText = [];
  function textOf(g) {
    var k = g[STACK];
    if (stackText[k] === undefined) {
      var parts = [];
      K[k].forEach(function (fi) { parts.push(S[F[fi][0]], S[F[fi][1]]); });
      stackText[k] = parts.join('\n').toLowerCase();
    }
    return stackText[k] + '\n' + S[g[STATE]].toLowerCase() + '\n' +
      (g[CR] >= 0 ? S[g[CR]].toLowerCase() + ' ' + S[g[CRF]].toLowerCase() : '') + '\n' +
      String(g[LABELS]).toLowerCase();
  }

  function topFrame(g) {
    var fi = K[g[STACK]][g[TOP]];
    return fi === undefined ? null : F[fi];
  }

  // A frame's place: no line when the dump gives none (line 0).
  function place(file, line) {
    return line > 0 ? file + ':' + line : file;
  }

  function stackPre(g) {
    var pre = make('pre', 'stack');
    var cls = ['user', 'std', 'rt'];
    K[g[STACK]].forEach(function (fi) {
      var f = F[fi];
      pre.appendChild(make('span', cls[f[3]], S[f[0]] + '(…)'));
      // A frame the dump gives no place for (a Java native method) has no
      // second line.
      var at = place(S[f[1]], f[2]);
      pre.appendChild(document.createTextNode(at ? '\n\t' + at + '\n' : '\n'));
    });
    if (g[CR] >= 0) {
      pre.appendChild(make('span', 'creator', 'created by ' + S[g[CR]]));
      pre.appendChild(document.createTextNode('\n\t' + place(S[g[CRF]], g[CRL])));
    }
    return pre;
  }

  function row(g) {
    var tr = make('tr', 'group');
    tr.setAttribute('data-id', g[ID]);
    if (g[LEAF] >= 0) { tr.setAttribute('data-leaf', String(g[LEAF])); }
    tr.appendChild(make('td', null, g[ID]));
    if (D.multi) { tr.appendChild(make('td', null, g[SNAP] + 1)); }
    tr.appendChild(make('td', 'num', g[COUNT]));
    tr.appendChild(make('td', null, S[g[STATE]]));
    var w = g[WMAX] < 0 ? '' : (g[WMIN] === g[WMAX] ? String(g[WMAX]) : g[WMIN] + '–' + g[WMAX]);
    tr.appendChild(make('td', 'num', w));
    var sv = make('td');
    if (g[GSEV] > 0) { sv.appendChild(make('span', 'severity sev-' + SEV[g[GSEV]], SEV[g[GSEV]])); }
    tr.appendChild(sv);
    var where = make('td');
    var det = make('details');
    var sum = make('summary');
    var f = topFrame(g);
    sum.appendChild(make('code', null, f ? S[f[0]] : ''));
    sum.appendChild(document.createTextNode(' '));
    sum.appendChild(make('span', 'loc', f ? place(S[f[1]], f[2]) : ''));
    det.appendChild(sum);
    det.addEventListener('toggle', function once() {
      if (det.open && det.childNodes.length === 1) { det.appendChild(stackPre(g)); }
    });
    where.appendChild(det);
    tr.appendChild(where);
    var cr = make('td');
    cr.appendChild(make('code', null, g[CR] >= 0 ? S[g[CR]] : ''));
    tr.appendChild(cr);
    return tr;
  }

  var keys = {
    id: function (g) { return parseInt(String(g[ID]).replace(/^.*g/, ''), 10) || 0; },
    dump: function (g) { return g[SNAP]; },
    count: function (g) { return g[COUNT]; },
    state: function (g) { return S[g[STATE]]; },
    wait: function (g) { return g[WMAX]; },
    severity: function (g) { return g[GSEV]; },
    'function': function (g) { var f = topFrame(g); return f ? S[f[0]] : ''; },
    creator: function (g) { return g[CR] >= 0 ? S[g[CR]] : ''; }
  };

  function matches(i) {
    var g = G[i];
    if (st.only >= 0) { return i === st.only; }
    if (st.state && S[g[STATE]] !== st.state) { return false; }
    if (st.pkg && S[g[PKG]] !== st.pkg) { return false; }
    if (st.sev && g[GSEV] < st.sev) { return false; }
    if (st.under && !st.under.has(g[LEAF])) { return false; }
    if (st.q && textOf(g).indexOf(st.q) < 0) { return false; }
    return true;
  }

  function render() {
    var idx = [];
    for (var i = 0; i < G.length; i++) { if (matches(i)) { idx.push(i); } }
    var key = keys[st.sort] || keys.count;
    idx.sort(function (a, b) {
      var x = key(G[a]), y = key(G[b]);
      if (x < y) { return -st.dir; }
      if (x > y) { return st.dir; }
      return a - b;
    });
    var pages = Math.max(1, Math.ceil(idx.length / PAGE));
    if (st.page >= pages) { st.page = pages - 1; }
    var frag = document.createDocumentFragment();
    idx.slice(st.page * PAGE, st.page * PAGE + PAGE).forEach(function (i) { frag.appendChild(row(G[i])); });
    tbody.textContent = '';
    tbody.appendChild(frag);
    countEl.textContent = idx.length + ' of ' + G.length + ' groups' +
      (st.only >= 0 ? ' (one goroutine\u2019s group)' : '');
    pager.textContent = '';
    if (st.only >= 0) {
      var all = make('button', 'all', 'show all groups');
      all.type = 'button';
      all.addEventListener('click', function () { st.only = -1; render(); });
      pager.appendChild(all);
    }
    if (pages > 1) {
      var prev = make('button', 'prev', '\u2190 previous');
      prev.type = 'button';
      prev.disabled = st.page === 0;
      prev.addEventListener('click', function () { st.page--; render(); });
      var next = make('button', 'next', 'next \u2192');
      next.type = 'button';
      next.disabled = st.page >= pages - 1;
      next.addEventListener('click', function () { st.page++; render(); });
      pager.appendChild(prev);
      pager.appendChild(make('span', null, 'page ' + (st.page + 1) + ' of ' + pages));
      pager.appendChild(next);
    }
    document.querySelectorAll('#groups th[data-sort]').forEach(function (th) {
      th.classList.remove('asc', 'desc');
      if (th.getAttribute('data-sort') === st.sort) { th.classList.add(st.dir > 0 ? 'asc' : 'desc'); }
    });
  }

  // Filters.
  function fill(sel, field) {
    var n = {};
    G.forEach(function (g) { var s = S[g[field]]; if (s) { n[s] = (n[s] || 0) + g[COUNT]; } });
    Object.keys(n).sort(function (a, b) { return n[b] - n[a] || (a < b ? -1 : 1); }).forEach(function (s) {
      var o = make('option', null, s + ' (' + n[s] + ')');
      o.value = s;
      sel.appendChild(o);
    });
  }
  var fs = document.getElementById('filter-state');
  var fp = document.getElementById('filter-package');
  var fv = document.getElementById('filter-severity');
  fill(fs, STATE);
  fill(fp, PKG);
  fs.addEventListener('change', function () { st.state = fs.value; st.page = 0; render(); });
  fp.addEventListener('change', function () { st.pkg = fp.value; st.page = 0; render(); });
  fv.addEventListener('change', function () { st.sev = parseInt(fv.value, 10) || 0; st.page = 0; render(); });
  var search = document.getElementById('group-search');
  search.addEventListener('input', function () { st.q = search.value.trim().toLowerCase(); st.page = 0; st.only = -1; render(); });
  document.querySelectorAll('#groups th[data-sort]').forEach(function (th) {
    th.addEventListener('click', function () {
      var k = th.getAttribute('data-sort');
      if (st.sort === k) { st.dir = -st.dir; } else { st.sort = k; st.dir = (k === 'count' || k === 'wait' || k === 'severity') ? -1 : 1; }
      render();
    });
  });

  // Icicle: a click lists the groups whose stacks pass through the frame.
  var children = {};
  var names = {};
  document.querySelectorAll('svg.flame g.frame').forEach(function (g) {
    var n = Number(g.getAttribute('data-node'));
    var p = g.getAttribute('data-parent');
    var t = g.querySelector('title');
    names[n] = t ? t.textContent.split(' \u2014 ')[0] : '';
    if (p !== null) { (children[Number(p)] = children[Number(p)] || []).push(n); }
    function pick() {
      var set = new Set();
      var todo = [n];
      while (todo.length) { var v = todo.pop(); set.add(v); (children[v] || []).forEach(function (c) { todo.push(c); }); }
      document.querySelectorAll('svg.flame g.frame.selected').forEach(function (x) { x.classList.remove('selected'); });
      g.classList.add('selected');
      st.node = n; st.under = set; st.page = 0; st.only = -1;
      document.getElementById('flame-filter-name').textContent = names[n];
      document.getElementById('flame-filter').hidden = false;
      render();
    }
    g.addEventListener('click', pick);
    g.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
  });
  document.getElementById('flame-clear').addEventListener('click', function () {
    st.node = null; st.under = null; st.page = 0;
    document.getElementById('flame-filter').hidden = true;
    document.querySelectorAll('svg.flame g.frame.selected').forEach(function (x) { x.classList.remove('selected'); });
    render();
  });

  // Goroutine lookup over the run-length coded ids.
  function holds(runs, id) {
    var prev = 0;
    for (var k = 0; k + 1 < runs.length; k += 2) {
      var d = runs[k], n = runs[k + 1];
      if (d === 0) { if (prev === id) { return true; } } else {
        var off = id - prev;
        if (off % d === 0 && off / d >= 1 && off / d <= n) { return true; }
      }
      prev += d * n;
    }
    return false;
  }
  var look = document.getElementById('goroutine-lookup');
  var res = document.getElementById('goroutine-result');
  var noun = (look && look.getAttribute('data-noun')) || 'goroutine';
  function lookup() {
    var id = Number(look.value.trim());
    res.textContent = '';
    if (!look.value.trim() || !isFinite(id)) { return; }
    var found = -1;
    for (var i = 0; i < G.length; i++) { if (holds(G[i][IDS], id)) { found = i; break; } }
    if (found < 0) { res.textContent = noun + ' ' + id + ' not found in the groups'; return; }
    var g = G[found];
    var f = topFrame(g);
    res.appendChild(document.createTextNode(noun + ' ' + id + ' is in group ' + g[ID] + ' (' + g[COUNT] +
      ' ' + noun + 's, ' + S[g[STATE]] + (f ? ', ' + S[f[0]] : '') + ') '));
    var a = make('a', null, 'show it');
    a.setAttribute('role', 'button');
    a.tabIndex = 0;
    a.addEventListener('click', function () { st.only = found; st.page = 0; render(); });
    res.appendChild(a);
  }
  look.addEventListener('keydown', function (e) { if (e.key === 'Enter') { lookup(); } });
  document.getElementById('goroutine-go').addEventListener('click', lookup);

  render();
})();
