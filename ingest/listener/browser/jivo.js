/* chatdeck: reports the JivoChat widget's JavaScript API events to chatdeck.
 * Add after the Jivo widget code (and after any jivo_on* callbacks the page
 * declares):
 *   <script src="https://CHATDECK/browser/jivo.js" data-key="KEY" async></script>
 * It defines the callbacks, still calls any the page defined, learns the
 * visitor number with jivo_api.getVisitorNumber and posts
 * {event, visitor_number, at, state?, contact?, call?} to
 * /browser/jivochat?key=KEY. Nothing it does can break the page: every
 * step is guarded, and an unreachable chatdeck only loses the events. */
(function () {
  'use strict';
  try {
    var me = document.currentScript;
    if (!me || !me.src) { return; }
    var endpoint = new URL('/browser/jivochat', me.src);
    endpoint.searchParams.set('key', me.getAttribute('data-key') || '');
    endpoint = endpoint.toString();
  } catch (e) { return; }

  var number = null;   // the visitor number, once jivo_api gave it
  var waiting = [];    // events before it did
  var asking = false;

  function send(ev) {
    try {
      // text/plain: a simple request, no CORS preflight; chatdeck reads JSON.
      var body = JSON.stringify(ev);
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) { return; }
      if (window.fetch) {
        window.fetch(endpoint, {method: 'POST', body: body, keepalive: true, credentials: 'omit',
          headers: {'Content-Type': 'text/plain;charset=UTF-8'}})['catch'](function () {});
      }
    } catch (e) { /* chatdeck unreachable or refused: the page goes on */ }
  }

  function learn() {
    if (asking || number !== null) { return; }
    var api = window.jivo_api;
    if (!api || typeof api.getVisitorNumber !== 'function') { return; }
    asking = true;
    try {
      api.getVisitorNumber(function (err, n) {
        asking = false;
        if (err || n === undefined || n === null || n === '') { return; }
        number = String(n);
        var q = waiting;
        waiting = [];
        for (var i = 0; i < q.length; i++) { q[i].visitor_number = number; send(q[i]); }
      });
    } catch (e) { asking = false; }
  }

  function post(name, extra) {
    var ev = {event: name, at: new Date().toISOString()};
    for (var k in extra) { if (extra[k] !== undefined) { ev[k] = extra[k]; } }
    if (number !== null) { ev.visitor_number = number; send(ev); return; }
    if (waiting.length < 20) { waiting.push(ev); }
    learn();
  }

  function contact() {
    var api = window.jivo_api;
    if (!api || typeof api.getContactInfo !== 'function') { return undefined; }
    var c = api.getContactInfo();
    if (!c || typeof c !== 'object') { return undefined; }
    return {name: c.client_name || c.name, email: c.email, phone: c.phone, description: c.description};
  }

  function mode() {
    var api = window.jivo_api;
    return api && typeof api.chatMode === 'function' ? String(api.chatMode()) : undefined;
  }

  // hook makes window[name] our callback, which reports the event and then
  // calls the page's own (defined before this script, or assigned later).
  function hook(name, extra) {
    var page = typeof window[name] === 'function' ? window[name] : null;
    function callback() {
      var args = arguments;
      try { if (extra !== false) { post(name, extra ? extra.apply(null, args) || {} : {}); } } catch (e) { /* never the page's problem */ }
      try { learn(); } catch (e) { /* idem */ }
      if (page) { return page.apply(this, args); }
    }
    try {
      Object.defineProperty(window, name, {configurable: true, enumerable: true,
        get: function () { return callback; },
        set: function (fn) { page = typeof fn === 'function' && fn !== callback ? fn : null; }});
    } catch (e) { window[name] = callback; }
  }

  hook('jivo_onLoadCallback', false);
  hook('jivo_onOpen', function () { return {state: mode()}; });
  hook('jivo_onClose');
  hook('jivo_onMessageSent');
  hook('jivo_onAccept');
  hook('jivo_onIntroduction', function () { return {contact: contact()}; });
  hook('jivo_onCallStart');
  hook('jivo_onCallEnd', function (res) {
    return res && typeof res === 'object' ? {call: {result: res.result, reason: res.reason}} : {};
  });
  hook('jivo_onChangeState', function (state) { return {state: state === undefined ? undefined : String(state)}; });
  learn();
})();
